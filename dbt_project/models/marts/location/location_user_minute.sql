-- Per user per UTC minute: the simple averages of lat, long, accuracy and speed and the
-- number of points behind them (`location.user_minute`).
{{ config(alias='user_minute') }}

with minutes as (
    select * from {{ ref('stg_location__minutes') }}
),

final as (
    select
        user_id,
        minute_utc,
        minute_local,
        time_zone,
        cast(sum_lat / points as double) as lat,
        cast(sum_long / points as double) as long,  -- noqa: RF04
        cast(sum_accuracy / points as double) as accuracy,
        cast(sum_speed / points as double) as speed,
        points
    from minutes
)

select * from final
