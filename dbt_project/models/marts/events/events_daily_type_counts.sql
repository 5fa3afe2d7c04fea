-- Incremental by day: a run recounts only the days whose lake row count differs from what this
-- table counted (new files landed there; the lake holds each event id once and compaction keeps
-- counts), and overwrites those days' partitions only.
{{ config(**partition_overwrite_config('event_date')) }}

with

events as (
    select * from {{ ref('stg_events__events') }}
),

{% if is_incremental() %}
    lake_days as (
        select
            event_date,
            count(*) as events
        from events
        group by event_date
    ),

    built_days as (
        select
            event_date,
            sum(events) as events
        from {{ this }}
        group by event_date
    ),

    touched_days as (
        select lake_days.event_date
        from lake_days
        left join built_days on lake_days.event_date = built_days.event_date
        where built_days.events is null or built_days.events != lake_days.events
    ),
{% endif %}

final as (
    select
        event_date,
        event_type,
        count(*) as events,
        count(distinct user_id) as distinct_users
    from events
    {% if is_incremental() %}
        where event_date in (select touched_days.event_date from touched_days)
    {% endif %}
    group by event_date, event_type
)

select * from final
