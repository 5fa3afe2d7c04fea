{{ config(pre_hook=events_lake_setup()) }}

with

{% if events_lake_has_files('events/*/*/*/*.parquet') %}
source as (
    select * from {{ source('events_lake', 'events') }}
),
{% else %}
source as (
    select
        null::varchar as id,
        null::varchar as type,
        null::timestamp as created_at,
        null::varchar as service,
        null::varchar as user_id,
        null::varchar as attributes,
        null::varchar as meta,
        null::varchar as batch_id,
        null::varchar as source,
        null::bigint as position,
        null::varchar as event_type,
        null::varchar as date,
        null::varchar as hour
    where false
),
{% endif %}

final as (
    select
        id as event_id,
        event_type,
        created_at,
        date::date as event_date,
        hour::integer as event_hour,
        service,
        user_id,
        attributes::json as attributes,
        meta::json as meta,
        batch_id
    from source
)

select * from final
