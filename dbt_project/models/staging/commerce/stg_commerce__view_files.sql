-- The manifest of view files: which batch holds each file's current content.
with source as (
    select * from {{ source('commerce_views', 'files') }}
),

final as (
    select
        source_file,
        fingerprint,
        batch_id,
        size_bytes,
        records_read,
        product_views,
        ignored_events,
        quarantined,
        loaded_at
    from source
)

select * from final
