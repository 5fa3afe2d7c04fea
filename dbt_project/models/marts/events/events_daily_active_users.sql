with

events as (
    select * from {{ ref('stg_events__events') }}
),

final as (
    select
        event_date,
        count(distinct user_id) as active_users,
        count(user_id) as events_with_user
    from events
    where user_id is not null
    group by event_date
)

select * from final
