-- Valid event lines as loaded, with typed helpers beside the original strings.
-- The source is a view of the gaming lake's Parquet files (read in place).
{{ config(pre_hook="{{ gaming_lake_setup() }}") }}

with source as (
    select * from {{ source('gaming_raw', 'events') }}
),

final as (
    -- columns grouped by kind (lineage, event, typed), not by rule ST06
    select  -- noqa: ST06
        -- lineage
        batch_id,
        source_file,
        line_number,
        -- event
        "user" as user_id,
        "timestamp" as event_timestamp,
        evtname as event_name,
        spend as spend_text,
        -- typed
        strptime("timestamp", '%Y-%m-%d %H:%M:%S') as event_at,
        cast(spend as decimal(38, 10)) as spend_amount
    from source
)

select * from final
