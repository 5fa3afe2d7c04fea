-- Per report day: the newest pull, the newest accepted pull, and what that makes the day.
with pulls as (
    select * from {{ ref('stg_adreports__pulls') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by report_date order by pulled_at desc, pull_id desc
        ) as recency
    from pulls
),

latest as (
    select * from ranked
    where recency = 1
),

accepted as (
    select
        report_date,
        pull_id as accepted_pull_id,
        pull_status as accepted_pull_status,
        pulled_at as accepted_pulled_at,
        rows_loaded as accepted_rows
    from ranked
    where pull_status in ('passed', 'warned')
    qualify row_number() over (partition by report_date order by recency) = 1
),

pull_counts as (
    select
        report_date,
        count(*) as pulls
    from pulls
    group by report_date
),

final as (
    select
        latest.report_date,
        latest.pull_id as latest_pull_id,
        latest.pull_status as latest_pull_status,
        latest.pulled_at as latest_pulled_at,
        latest.failed_checks,
        latest.warned_checks,
        latest.pull_error,
        accepted.accepted_pull_id,
        accepted.accepted_pulled_at,
        accepted.accepted_rows,
        pull_counts.pulls,
        case
            when accepted.accepted_pull_id is null then 'missing'
            when latest.pull_status = 'failed' then 'stale'
            when latest.pull_status = 'warned' then 'low_volume'
            else 'complete'
        end as completeness_status
    from latest
    left join accepted on latest.report_date = accepted.report_date
    inner join pull_counts on latest.report_date = pull_counts.report_date
)

select * from final
