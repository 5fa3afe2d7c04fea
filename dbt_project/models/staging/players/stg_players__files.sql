-- The manifest of landed player-event files from the lake's load records: each file's newest
-- load names the batch holding its current content (batch ids sort by time).
{{ config(pre_hook="{{ players_lake_setup(['loads']) }}") }}

with source as (
    {{ players_lake_source('loads') }}
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
        lines_read,
        valid_rows,
        quarantined_rows,
        loaded_at
    from newest
    where load_rank = 1
)

select * from final
