-- Per user per UTC day: points, active minutes and the distance travelled along the minute
-- averages (`location.user_day`).
{{ config(alias='user_day') }}

with steps as (
    select * from {{ ref('int_location__minute_steps') }}
),

final as (
    select
        user_id,
        day_utc,
        cast(sum(points) as bigint) as points,
        cast(count(*) as bigint) as active_minutes,
        coalesce(sum(step_km), 0.0) as distance_km
    from steps
    group by user_id, day_utc
)

select * from final
