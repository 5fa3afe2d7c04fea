-- Quarantined view records of each file's current content.
with source as (
    {{ current_batch_rows(source('commerce_views', 'quarantine'), ref('stg_commerce__view_files')) }}
),

final as (
    select
        source_file,
        platform,
        batch_number,
        event_index,
        raw,
        reason
    from source
)

select * from final
