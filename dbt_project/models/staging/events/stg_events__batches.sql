{{ config(pre_hook="{{ events_lake_setup() }}") }}

with

records as (
    {{ events_lake_source('batches') }}
),

partitions as (
    select
        batch_id,
        committed_at,
        unnest(partitions) as part
    from records
),

final as (
    select
        batch_id,
        cast(part[1] as varchar) as event_type,
        cast(part[2] as date) as event_date,
        cast(part[3] as integer) as event_hour,
        cast(committed_at as timestamptz) as committed_at
    from partitions
)

select * from final
