-- Per user and UTC day (of meta.created_at): the figures a user sees on their phone
-- (GET /events/users/{user_id}/stats). Only days with a non-zero figure have a row.
--
-- Incremental by day: a build rewrites only the days that batches committed since the last
-- build wrote into (from the lake's commit records), reading only those days' partitions of
-- the three types involved. Spark rebuilds it whole (incremental_on_duckdb).
{{ config(alias='user_days', **incremental_on_duckdb({
    'materialized': 'incremental',
    'incremental_strategy': 'delete+insert',
    'unique_key': 'event_date',
    'on_schema_change': 'fail',
}, spark={'partition_by': ['event_date']})) }}

{% set types = ['conversation_started', 'product_liked', 'product_sold'] %}

with

{% if is_incremental() %}
    touched_days as (
        {{ events_touched_days(types) }}
    ),
{% endif %}

events as (
    select
        event_date,
        event_type,
        user_id,
        {{ json_text('attributes', '$.product_id') }} as product_id,
        {{ json_text('attributes', '$.owner_id') }} as owner_id
    from {{ ref('stg_events__events') }}
    where
        event_type in ('conversation_started', 'product_liked', 'product_sold')
        {% if is_incremental() %}
            and event_date in (select touched_days.event_date from touched_days)
        {% endif %}
),

contacted as (
    select
        user_id,
        event_date,
        count(distinct product_id) as products_contacted
    from events
    where event_type = 'conversation_started' and user_id is not null
    group by user_id, event_date
),

favourited as (
    select
        owner_id as user_id,
        event_date,
        count(*) as favourited
    from events
    where event_type = 'product_liked' and owner_id is not null
    group by owner_id, event_date
),

sold as (
    select
        user_id,
        event_date,
        count(*) as products_sold
    from events
    where event_type = 'product_sold' and user_id is not null
    group by user_id, event_date
),

figures as (
    select
        user_id,
        event_date,
        products_contacted,
        0 as favourited,
        0 as products_sold
    from contacted
    union all
    select
        user_id,
        event_date,
        0 as products_contacted,
        favourited,
        0 as products_sold
    from favourited
    union all
    select
        user_id,
        event_date,
        0 as products_contacted,
        0 as favourited,
        products_sold
    from sold
),

final as (
    select
        user_id,
        event_date,
        cast(sum(products_contacted) as bigint) as products_contacted,
        cast(sum(favourited) as bigint) as favourited,
        cast(sum(products_sold) as bigint) as products_sold,
        {{ events_lake_committed_through() }} as lake_committed_through,
        current_timestamp as refreshed_at
    from figures
    group by user_id, event_date
)

select * from final
