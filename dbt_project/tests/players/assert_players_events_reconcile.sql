-- depends_on: {{ ref('int_players__changed_files') }}, {{ ref('int_players__working_set') }}
-- Every line read from the current content of a file is either a clean event or quarantined,
-- never both, and the counts match the manifest. A full build checks every file and event;
-- an incremental build the files whose content changed and the events it evaluated.
with files as (
    select * from {{ ref('stg_players__files') }}
    {% if not players_full_build() %}
        where source_file in (select changed.source_file from {{ ref('int_players__changed_files') }} as changed)
    {% endif %}
),

current_events as (
    select
        source_file,
        line_number
    from {{ ref('int_players__current_events') }}
    where source_file in (select files.source_file from files)
),

evaluated as (
    select
        source_file,
        line_number
    from ({{ players_working_events() }}) as working_events
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
        line_number,
        rule
    from {{ ref('players_quarantine') }}
),

evaluated_quarantine as (
    select
        quarantine.source_file,
        quarantine.line_number
    from quarantine
    {% if not players_full_build() %}
        inner join {{ ref('int_players__working_set') }} as working
            on quarantine.source_file = working.source_file and quarantine.line_number = working.line_number
    {% endif %}
    where quarantine.rule <> 'malformed_line'
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

event_counts as (
    select
        source_file,
        count(*) as n
    from current_events
    group by source_file
),

load_quarantine_counts as (
    select
        source_file,
        count(*) as n
    from quarantine
    where rule = 'malformed_line'
    group by source_file
),

evaluated_counts as (
    select
        source_file,
        count(*) as n
    from evaluated
    group by source_file
),

clean_counts as (
    select
        source_file,
        count(*) as n
    from clean
    group by source_file
),

evaluated_quarantine_counts as (
    select
        source_file,
        count(*) as n
    from evaluated_quarantine
    group by source_file
),

per_file as (
    -- lines read = current events + lines rejected at load
    select
        files.source_file,
        files.lines_read as expected,
        coalesce(event_counts.n, 0) + coalesce(load_quarantine_counts.n, 0) as found,
        0 as in_both
    from files
    left join event_counts on files.source_file = event_counts.source_file
    left join load_quarantine_counts on files.source_file = load_quarantine_counts.source_file
),

per_evaluated_file as (
    -- evaluated events = clean + quarantined, none both
    select
        evaluated_counts.source_file,
        evaluated_counts.n as expected,
        coalesce(clean_counts.n, 0) + coalesce(evaluated_quarantine_counts.n, 0) as found,
        coalesce(both_ways.n, 0) as in_both
    from evaluated_counts
    left join clean_counts on evaluated_counts.source_file = clean_counts.source_file
    left join evaluated_quarantine_counts
        on evaluated_counts.source_file = evaluated_quarantine_counts.source_file
    left join both_ways on evaluated_counts.source_file = both_ways.source_file
),

final as (
    select * from per_file
    union all
    select * from per_evaluated_file
)

select *
from final
where expected <> found or in_both > 0
