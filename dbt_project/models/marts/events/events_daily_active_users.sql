-- Incremental by day, like events_daily_type_counts: only days whose count of events carrying
-- a user_id changed in the lake are recomputed and overwritten.
{{ config(**partition_overwrite_config('event_date')) }}

with

events as (
    select * from {{ ref('stg_events__events') }}
    where user_id is not null
),

{% if is_incremental() %}
    lake_days as (
        select
            event_date,
            count(*) as events_with_user
        from events
        group by event_date
    ),

    touched_days as (
        select lake_days.event_date
        from lake_days
        left join {{ this }} as built on lake_days.event_date = built.event_date
        where built.events_with_user is null or built.events_with_user != lake_days.events_with_user
    ),
{% endif %}

final as (
    select
        event_date,
        count(distinct user_id) as active_users,
        count(*) as events_with_user
    from events
    {% if is_incremental() %}
        where event_date in (select touched_days.event_date from touched_days)
    {% endif %}
    group by event_date
)

select * from final
