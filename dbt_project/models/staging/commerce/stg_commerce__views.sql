-- Product views of each file's current content, with the view time in the business zone.
{{ config(pre_hook="{{ commerce_lake_setup() }}") }}

with source as (
    {{ current_batch_rows('(' ~ commerce_lake_source('views') ~ ')', ref('stg_commerce__view_files')) }}
),

final as (
    select
        source_file,
        batch_number,
        event_index,
        platform,
        product,
        event_ms,
        -- UTC epoch millis → wall-clock time of COMMERCE_TIMEZONE
        {{ utc_to_local(epoch_ms_double_to_timestamp('event_ms'), commerce_timezone()) }}
            as viewed_at
    from source
)

select * from final
