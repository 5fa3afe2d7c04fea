-- Lines of the current file contents that failed validation, with raw text and reason.
{{ config(alias='quarantine') }}

with quarantine as (
    select * from {{ ref('int_gaming__current_quarantine') }}
),

final as (
    select
        source_file,
        line_number,
        -- `raw` is a keyword, but it is exactly what the column holds
        raw_line as raw,  -- noqa: RF04
        reason,
        batch_id
    from quarantine
)

select * from final
