-- The season of the data: the median event time of every current event with a timestamp
-- (`out_of_season` is measured from it).
{{ config(materialized='table') }}

with events as (
    select event_timestamp from {{ ref('int_players__current_events') }}
    where event_timestamp is not null
),

final as (
    select median(event_timestamp) as median_timestamp
    from events
)

select * from final
