-- Product views of each file's current content, with the view time in the business zone.
with source as (
    select * from {{ source('commerce_views', 'views') }}
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
        source.batch_number,
        source.event_index,
        source.platform,
        source.product,
        source.event_ms,
        -- UTC epoch millis → wall-clock time of COMMERCE_TIMEZONE
        timezone({{ commerce_timezone() }}, to_timestamp(source.event_ms / 1000.0)) as viewed_at
    from source
    inner join files
        on
            source.source_file = files.source_file
            and source.batch_id = files.batch_id
)

select * from final
