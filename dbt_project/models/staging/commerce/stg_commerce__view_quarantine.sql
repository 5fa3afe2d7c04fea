-- Quarantined view records of each file's current content.
with source as (
    select * from {{ source('commerce_views', 'quarantine') }}
),

files as (
    select
        source_file,
        batch_id
    from {{ ref('stg_commerce__view_files') }}
),

final as (
    select
        source.source_file,
        source.platform,
        source.batch_number,
        source.event_index,
        source.raw,
        source.reason
    from source
    inner join files
        on
            source.source_file = files.source_file
            and source.batch_id = files.batch_id
)

select * from final
