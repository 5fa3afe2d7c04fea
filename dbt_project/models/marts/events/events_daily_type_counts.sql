with

events as (
    select * from {{ ref('stg_events__events') }}
),

final as (
    select
        event_date,
        event_type,
        count(*) as events,
        count(distinct user_id) as distinct_users
    from events
    group by event_date, event_type
)

select * from final
