-- The manifest of landed player-event files: which batch holds each file's current content.
with source as (
    select * from {{ source('players_raw', 'files') }}
),

final as (
    select
        source_file,
        fingerprint,
        batch_id,
        size_bytes,
        lines_read,
        valid_rows,
        quarantined_rows,
        loaded_at
    from source
)

select * from final
