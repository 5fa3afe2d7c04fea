-- Quarantined view records (current content of each file), for inspection.
{{ config(alias='view_quarantine', materialized='view') }}

with quarantine as (
    select * from {{ ref('stg_commerce__view_quarantine') }}
),

final as (
    select
        source_file,
        platform,
        batch_number,
        event_index,
        reason,
        raw
    from quarantine
)

select * from final
