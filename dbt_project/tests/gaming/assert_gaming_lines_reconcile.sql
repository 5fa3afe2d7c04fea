-- Every line read from the current content of a file is either a valid event or quarantined,
-- and the manifest's counts match the rows that landed.
with files as (
    select * from {{ ref('stg_gaming__files') }}
),

events as (
    select
        source_file,
        count(*) as n
    from {{ ref('int_gaming__current_events') }}
    group by 1
),

quarantine as (
    select
        source_file,
        count(*) as n
    from {{ ref('int_gaming__current_quarantine') }}
    group by 1
),

final as (
    select
        files.source_file,
        files.lines_read,
        files.valid_rows,
        files.quarantined_rows,
        coalesce(events.n, 0) as events_landed,
        coalesce(quarantine.n, 0) as quarantine_landed
    from files
    left join events on files.source_file = events.source_file
    left join quarantine on files.source_file = quarantine.source_file
)

select *
from final
where
    lines_read <> valid_rows + quarantined_rows
    or valid_rows <> events_landed
    or quarantined_rows <> quarantine_landed
