-- Minute sums as loaded, as doubles: any sum of accepted points fits (a DECIMAL(38, 18)
-- overflowed at 1e20 and dropped digits below 1e-18).
with source as (
    select * from {{ source('location_raw', 'minutes') }}
),

final as (
    select
        user_id,
        minute_utc,
        minute_local,
        time_zone,
        cast(sum_lat as double) as sum_lat,
        cast(sum_long as double) as sum_long,
        cast(sum_accuracy as double) as sum_accuracy,
        cast(sum_speed as double) as sum_speed,
        points,
        seq
    from source
)

select * from final
