-- Lines of each file's current content that were rejected at load (not JSON objects).
with quarantine as (
    select * from {{ ref('stg_players__load_quarantine') }}
),

files as (
    select
        source_file,
        batch_id
    from {{ ref('stg_players__files') }}
),

final as (
    select
        quarantine.batch_id,
        quarantine.source_file,
        quarantine.line_number,
        quarantine.raw_line,
        quarantine.reason
    from quarantine
    inner join files
        on
            quarantine.source_file = files.source_file
            and quarantine.batch_id = files.batch_id
)

select * from final
