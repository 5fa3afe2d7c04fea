-- Accepted report rows: one row per (day, app, ad unit, country, ad source).
with source as (
    select * from {{ source('adreports_raw', 'accepted_rows') }}
),

final as (
    select
        report_date,
        app_id,
        app_name,
        ad_unit_id,
        country,
        ad_source_id,
        ad_requests,
        impressions,
        clicks,
        estimated_earnings_micros,
        pull_id,
        accepted_at
    from source
)

select * from final
