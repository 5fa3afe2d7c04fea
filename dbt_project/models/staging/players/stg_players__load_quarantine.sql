-- Lines rejected at load (not JSON objects), as loaded: the lake's quarantine files.
{{ config(pre_hook="{{ players_lake_setup(['quarantine']) }}") }}

with source as (
    {{ players_lake_source('quarantine') }}
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
