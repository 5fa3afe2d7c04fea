-- Revenue per day, app and country from the accepted pull of each day, with its status.
{{ config(alias='daily_revenue') }}

with accepted_rows as (
    select * from {{ ref('stg_adreports__accepted_rows') }}
),

day_status as (
    select * from {{ ref('int_adreports__day_status') }}
),

per_app_country as (
    select
        report_date,
        app_id,
        country,
        cast(sum(ad_requests) as bigint) as ad_requests,
        cast(sum(impressions) as bigint) as impressions,
        cast(sum(clicks) as bigint) as clicks,
        cast(sum(estimated_earnings_micros) as bigint) as earnings_micros,
        any_value(app_name) as app_name,
        any_value(pull_id) as pull_id
    from accepted_rows
    group by report_date, app_id, country
),

final as (
    select
        per_app_country.report_date,
        per_app_country.app_id,
        per_app_country.app_name,
        per_app_country.country,
        per_app_country.ad_requests,
        per_app_country.impressions,
        per_app_country.clicks,
        per_app_country.earnings_micros,
        day_status.completeness_status,
        per_app_country.pull_id,
        -- Exact: integer micros times a DECIMAL(7,6) constant stays DECIMAL (no float).
        cast(
            cast(per_app_country.earnings_micros as decimal(38, 0)) * cast(0.000001 as decimal(7, 6))
            as decimal(18, 6)
        ) as earnings
    from per_app_country
    inner join day_status on per_app_country.report_date = day_status.report_date
)

select * from final
