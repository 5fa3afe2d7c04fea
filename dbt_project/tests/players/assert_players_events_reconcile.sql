-- Every line read from the current content of a file is either a clean event or quarantined,
-- never both, and the counts match the manifest.
with files as (
    select * from {{ ref('stg_players__files') }}
),

clean as (
    select
        source_file,
        line_number
    from {{ ref('int_players__clean_events') }}
),

quarantine as (
    select
        source_file,
        line_number
    from {{ ref('players_quarantine') }}
),

both_ways as (
    select
        clean.source_file,
        count(*) as n
    from clean
    inner join quarantine
        on
            clean.source_file = quarantine.source_file
            and clean.line_number = quarantine.line_number
    group by clean.source_file
),

clean_counts as (
    select
        source_file,
        count(*) as n
    from clean
    group by source_file
),

quarantine_counts as (
    select
        source_file,
        count(*) as n
    from quarantine
    group by source_file
),

final as (
    select
        files.source_file,
        files.lines_read,
        coalesce(clean_counts.n, 0) as clean_events,
        coalesce(quarantine_counts.n, 0) as quarantined,
        coalesce(both_ways.n, 0) as in_both
    from files
    left join clean_counts on files.source_file = clean_counts.source_file
    left join quarantine_counts on files.source_file = quarantine_counts.source_file
    left join both_ways on files.source_file = both_ways.source_file
)

select *
from final
where lines_read <> clean_events + quarantined or in_both > 0
