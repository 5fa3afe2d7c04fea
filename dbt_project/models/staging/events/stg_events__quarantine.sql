{{ config(pre_hook="{{ events_lake_setup() }}") }}

with

lake as (
    {{ events_lake_source('quarantine') }}
),

final as (
    select
        lake.source as input_source,
        lake.position as input_position,
        lake.raw as raw_line,
        lake.reason,
        lake.batch_id,
        lake.quarantined_at
    from lake
)

select * from final
