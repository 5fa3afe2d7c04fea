-- Every user the lake has seen, as attributes.user_id of any event or as attributes.owner_id
-- of a product_liked / conversation_started event, with the first UTC day seen: what tells
-- an unknown user (404) from a user without figures.
--
-- Incremental like `events_user_days`: a build reads only the days new batches wrote into and
-- keeps the earliest first day of a user already known. Spark rebuilds it whole.
{{ config(alias='users', **incremental_on_duckdb({
    'materialized': 'incremental',
    'incremental_strategy': 'delete+insert',
    'unique_key': 'user_id',
    'on_schema_change': 'fail',
})) }}

with

{% if is_incremental() %}
    touched_days as (
        {{ events_touched_days() }}
    ),
{% endif %}

events as (
    select
        event_date,
        event_type,
        user_id,
        attributes
    from {{ ref('stg_events__events') }}
    {% if is_incremental() %}
        where event_date in (select touched_days.event_date from touched_days)
    {% endif %}
),

seen as (
    select
        user_id,
        event_date
    from events
    where user_id is not null
    union all
    select
        {{ json_text('attributes', '$.owner_id') }} as user_id,
        event_date
    from events
    where
        event_type in ('product_liked', 'conversation_started')
        and {{ json_text('attributes', '$.owner_id') }} is not null
),

first_seen as (
    select
        user_id,
        min(event_date) as first_seen_date
    from seen
    group by user_id
),

{% if is_incremental() %}
    known as (
        select
            first_seen.user_id,
            least(first_seen.first_seen_date, coalesce(previous.first_seen_date, first_seen.first_seen_date))
                as first_seen_date
        from first_seen
        left join {{ this }} as previous on first_seen.user_id = previous.user_id
    ),
{% else %}
    known as (
        select * from first_seen
    ),
{% endif %}

final as (
    select
        user_id,
        first_seen_date,
        {{ events_lake_committed_through() }} as lake_committed_through
    from known
)

select * from final
