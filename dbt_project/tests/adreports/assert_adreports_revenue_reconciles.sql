-- Every accepted day's earnings, impressions and clicks reach the mart exactly, and only
-- accepted days do.
with accepted as (
    select
        report_date,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(estimated_earnings_micros) as earnings_micros
    from {{ ref('stg_adreports__accepted_rows') }}
    group by report_date
),

mart as (
    select
        report_date,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(earnings) * 1000000 as earnings_micros
    from {{ ref('adreports_daily_revenue') }}
    group by report_date
),

final as (
    select
        accepted.earnings_micros as accepted_micros,
        mart.earnings_micros as mart_micros,
        coalesce(accepted.report_date, mart.report_date) as report_date
    from accepted
    full outer join mart on accepted.report_date = mart.report_date
    where
        accepted.report_date is null
        or mart.report_date is null
        or accepted.impressions <> mart.impressions
        or accepted.clicks <> mart.clicks
        or accepted.earnings_micros <> mart.earnings_micros
)

select * from final
