-- Minute sums as loaded: typed, renamed, nothing else.
with source as (
    select * from {{ source('location_raw', 'minutes') }}
),

final as (
    select
        user_id,
        minute_utc,
        minute_local,
        time_zone,
        cast(sum_lat as decimal(38, 18)) as sum_lat,
        cast(sum_long as decimal(38, 18)) as sum_long,
        cast(sum_accuracy as decimal(38, 18)) as sum_accuracy,
        cast(sum_speed as decimal(38, 18)) as sum_speed,
        points,
        seq
    from source
)

select * from final
