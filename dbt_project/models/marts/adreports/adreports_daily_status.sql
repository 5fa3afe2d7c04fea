-- One row per report day ever pulled: is it complete, and if not, why.
{{ config(alias='daily_status') }}

with day_status as (
    select * from {{ ref('int_adreports__day_status') }}
),

final as (
    select
        report_date,
        completeness_status,
        latest_pull_status,
        latest_pulled_at,
        failed_checks,
        warned_checks,
        pull_error,
        accepted_pull_id,
        accepted_pulled_at,
        cast(pulls as bigint) as pulls,
        cast(coalesce(accepted_rows, 0) as bigint) as accepted_rows
    from day_status
)

select * from final
