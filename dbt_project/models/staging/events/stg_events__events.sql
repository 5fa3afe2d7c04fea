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
        {{ cast_as('date', 'date') }} as event_date,
        {{ cast_as('hour', 'integer') }} as event_hour,
        service,
        user_id,
        {{ json_value('attributes') }} as attributes,
        {{ json_value('meta') }} as meta,
        batch_id
    from lake
)

select * from final
