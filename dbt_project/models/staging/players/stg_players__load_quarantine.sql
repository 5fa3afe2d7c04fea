-- Lines rejected at load (not JSON objects), as loaded.
with source as (
    select * from {{ source('players_raw', 'quarantine') }}
),

final as (
    select
        batch_id,
        source_file,
        line_number,
        raw as raw_line,
        reason
    from source
)

select * from final
