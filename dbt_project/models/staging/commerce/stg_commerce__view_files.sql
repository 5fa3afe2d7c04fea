-- The manifest of view files from the lake's load records: each file's newest load names the
-- batch holding its current content (batch ids sort by time).
{{ config(pre_hook="{{ commerce_lake_setup() }}") }}

with source as (
    {{ commerce_lake_source('loads') }}
),

newest as (
    select
        *,
        row_number() over (partition by source_file order by batch_id desc) as load_rank
    from source
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
    from newest
    where load_rank = 1
)

select * from final
