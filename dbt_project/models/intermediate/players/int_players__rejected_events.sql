-- Every event a cleaning rule discarded, with the rule: stages 1, 2 and 3 together (the raw
-- line is fetched by the quarantine for the rows it inserts). A table: the quarantine, its
-- hook and the tests read it several times.
{{ config(materialized='table') }}

with stage_one as (
    select * from {{ ref('int_players__events_checked') }}
    where rule is not null
),

stage_two as (
    select * from {{ ref('int_players__registrations_checked') }}
    where rule is not null
),

stage_three as (
    select * from {{ ref('int_players__matches_checked') }}
    where rule is not null
),

final as (
    select
        batch_id,
        source_file,
        line_number,
        event_id,
        rule
    from stage_one
    union all
    select
        batch_id,
        source_file,
        line_number,
        event_id,
        rule
    from stage_two
    union all
    select
        batch_id,
        source_file,
        line_number,
        event_id,
        rule
    from stage_three
)

select * from final
