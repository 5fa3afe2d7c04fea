-- GET /ctr's minute table: (minute_idx, series_id) → views, purchases, all integers.
-- `minute_idx` counts business-zone wall-clock minutes from 1970-01-01 00:00, so a bucket
-- number is `(minute_idx - start) // aggregation` and grouping is on two integers.
{{ config(alias='ctr_series_minute') }}

with minutes as (
    select * from {{ ref('commerce_ctr_minute') }}
),

series as (
    select * from {{ ref('commerce_ctr_series') }}
),

final as (
    select
        series.series_id,
        {{ cast_as(int_div(epoch_seconds('minutes.minute_at'), 60), 'integer') }} as minute_idx,
        {{ cast_as('sum(minutes.views)', 'integer') }} as views,  -- noqa: RF04
        {{ cast_as('sum(minutes.purchases)', 'integer') }} as purchases
    from minutes
    inner join series
        on minutes.platform = series.platform and minutes.product = series.product
    group by 1, 2
)

select * from final
