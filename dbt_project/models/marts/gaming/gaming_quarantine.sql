-- Lines of the current file contents that failed validation, with raw text and reason.
{{ config(alias='quarantine') }}

with quarantine as (
    select * from {{ ref('int_gaming__current_quarantine') }}
),

final as (
    select
        source_file,
        line_number,
        raw_line as raw,
        reason,
        batch_id
    from quarantine
)

select * from final
