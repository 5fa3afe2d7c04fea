-- The pull ledger: one row per (pull, report day) with its verdict.
with source as (
    select * from {{ source('adreports_raw', 'pulls') }}
),

final as (
    select
        pull_id,
        report_date,
        pulled_at,
        status as pull_status,
        failed_checks,
        warned_checks,
        error as pull_error,
        rows_loaded,
        provider_row_count
    from source
)

select * from final
