{#-
  The online product features recomputed from the lake at one cut-off (`features_cutoff_ms`,
  epoch ms; default: the last millisecond of the minute two minutes before the build), by the
  online store's window rule: an event counts in the window of W minutes when its UTC minute is
  one of the W minutes ending with the cut-off's minute and it is stamped before the cut-off.
-#}
{#- DuckDB only for now (its JSON and epoch functions; not ported to the cross_db macros):
    the yml disables it on the Spark target, so `tag:events` builds there as before. -#}
{%- set cutoff_ms = var('features_cutoff_ms', none) -%}

with

cutoff as (
    select
        {% if cutoff_ms is none -%}
            (epoch_ms(now()::timestamp) // 60000 - 2) * 60000 - 1
        {%- else -%}
            {{ cutoff_ms | int }}::bigint
        {%- endif %} as as_of_ms
),

feature_events as (
    select
        event_type,
        json_extract_string(attributes, '$.product_id') as product_id,
        epoch_ms(created_at) as created_ms
    from {{ ref('stg_events__events') }}
    where
        event_type in ('product_impression', 'product_liked', 'conversation_started')
        and json_type(attributes, '$.product_id') = 'VARCHAR'
        and json_extract_string(attributes, '$.product_id') <> ''
),

in_week as (
    select
        feature_events.product_id,
        feature_events.event_type,
        cutoff.as_of_ms,
        cutoff.as_of_ms // 60000 - feature_events.created_ms // 60000 as minutes_back
    from feature_events
    cross join cutoff
    where
        feature_events.created_ms < cutoff.as_of_ms
        and feature_events.created_ms // 60000 > cutoff.as_of_ms // 60000 - 10080
),

final as (
    select
        product_id,
        as_of_ms,
        make_timestamp(as_of_ms * 1000) as as_of,
        count(*) filter (
            where event_type = 'product_impression' and minutes_back < 60
        ) as impressions_1h,
        count(*) filter (
            where event_type = 'product_impression' and minutes_back < 1440
        ) as impressions_1d,
        count(*) filter (where event_type = 'product_impression') as impressions_7d,
        count(*) filter (where event_type = 'product_liked' and minutes_back < 60) as likes_1h,
        count(*) filter (where event_type = 'product_liked' and minutes_back < 1440) as likes_1d,
        count(*) filter (where event_type = 'product_liked') as likes_7d,
        count(*) filter (
            where event_type = 'conversation_started' and minutes_back < 60
        ) as conversations_1h,
        count(*) filter (
            where event_type = 'conversation_started' and minutes_back < 1440
        ) as conversations_1d,
        count(*) filter (where event_type = 'conversation_started') as conversations_7d
    from in_week
    group by product_id, as_of_ms
)

select * from final
