{{ config(pre_hook=events_lake_setup()) }}

with

{% if events_lake_has_files('quarantine/*.parquet') %}
source as (
    select * from {{ source('events_lake', 'quarantine') }}
),
{% else %}
source as (
    select
        null::varchar as source,
        null::bigint as position,
        null::varchar as raw,
        null::varchar as reason,
        null::varchar as batch_id,
        null::timestamp as quarantined_at
    where false
),
{% endif %}

final as (
    select
        source,
        position,
        raw,
        reason,
        batch_id,
        quarantined_at
    from source
)

select * from final
