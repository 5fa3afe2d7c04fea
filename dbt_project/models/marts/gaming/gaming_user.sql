-- The seed's table `user`: one row per valid event, all columns strings.
{{ config(alias='user') }}

with events as (
    select * from {{ ref('gaming_user_events') }}
),

final as (
    select
        "user",
        "timestamp",
        evtname
    from events
)

select * from final
