{{ config(pre_hook="{{ events_lake_setup() }}") }}

with

lake as (
    {{ events_lake_source('events') }}
),

final as (
    select
        id as event_id,
        event_type,
        created_at,
        date::date as event_date,
        hour::integer as event_hour,
        service,
        user_id,
        attributes::json as attributes,
        meta::json as meta,
        batch_id
    from lake
)

select * from final
