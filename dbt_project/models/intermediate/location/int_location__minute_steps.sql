-- Each minute's averages and the great-circle distance (haversine, km) from the user's
-- previous minute on the same UTC day; null for a user's first minute of the day.
with minutes as (
    select * from {{ ref('location_user_minute') }}
),

with_previous as (
    select
        user_id,
        minute_utc,
        cast(minute_utc as date) as day_utc,
        lat,
        long,
        points,
        lag(lat) over (
            partition by user_id, cast(minute_utc as date) order by minute_utc
        ) as previous_lat,
        lag(long) over (
            partition by user_id, cast(minute_utc as date) order by minute_utc
        ) as previous_long
    from minutes
),

final as (
    select
        user_id,
        minute_utc,
        day_utc,
        points,
        case
            when previous_lat is not null
                then 2 * 6371.0088 * asin(sqrt(
                    pow(sin(radians(lat - previous_lat) / 2), 2)
                    + cos(radians(previous_lat)) * cos(radians(lat))
                    * pow(sin(radians(long - previous_long) / 2), 2)
                ))
        end as step_km
    from with_previous
)

select * from final
