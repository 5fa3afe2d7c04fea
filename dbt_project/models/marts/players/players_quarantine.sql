-- depends_on: {{ ref('int_players__changed_files') }}, {{ ref('int_players__working_set') }}
-- Every discarded line or event of the current file contents, with the rule that discarded it:
-- lines that are not JSON objects (rule `malformed_line`, rejected at load) and events a
-- cleaning rule discarded in the intermediate models.
--
-- Incremental by line: an incremental build deletes the rows of the files whose content
-- changed and the rows of the events it evaluated again whose rule is not the same any more
-- (pre-hook), then inserts the lines of those files rejected at load and the discarded
-- events without a row. The raw text of an inserted event is read from the raw table, only
-- in the batches of the rows inserted (`players_quarantine_batches`): a row that keeps its
-- rule keeps its raw text, so a build reads no raw line it does not insert.
-- On Spark a table rebuilt whole by every build.
{{ config(**incremental_on_duckdb({
    'alias': 'quarantine',
    'materialized': 'incremental',
    'incremental_strategy': 'append',
    'on_schema_change': 'fail',
    'pre_hook': "{{ players_delete_changed_quarantine() }}",
})) }}

with load_quarantine as (
    select * from {{ ref('int_players__current_load_quarantine') }}
    {% if is_incremental() %}
        where source_file in (select changed.source_file from {{ ref('int_players__changed_files') }} as changed)
    {% endif %}
),

rejected_rules as (
    select * from {{ ref('int_players__rejected_events') }}
    {% if is_incremental() %}
        -- the rows the pre-hook kept are exactly this build's result for their line
        where not exists (
            select 1 from {{ this }} as kept
            where
                kept.source_file = int_players__rejected_events.source_file
                and kept.line_number = int_players__rejected_events.line_number
        )
    {% endif %}
),

raw_lines as (
    select
        batch_id,
        source_file,
        line_number,
        raw_line
    from {{ ref('stg_players__events') }}
    {% if is_incremental() and not players_full_build() %}
        where batch_id in {{ players_quarantine_batches() }}
    {% endif %}
),

rejected as (
    select
        rejected_rules.batch_id,
        rejected_rules.source_file,
        rejected_rules.line_number,
        rejected_rules.event_id,
        raw_lines.raw_line,
        rejected_rules.rule
    from rejected_rules
    inner join raw_lines
        on
            rejected_rules.batch_id = raw_lines.batch_id
            and rejected_rules.source_file = raw_lines.source_file
            and rejected_rules.line_number = raw_lines.line_number
),

final as (
    select
        source_file,
        line_number,
        cast(null as bigint) as event_id,
        -- `raw` is a keyword, but it is exactly what the column holds
        raw_line as raw,  -- noqa: RF04
        'malformed_line' as rule,  -- noqa: RF04
        reason,
        batch_id
    from load_quarantine
    union all
    select
        source_file,
        line_number,
        event_id,
        raw_line as raw,  -- noqa: RF04
        rule,
        case rule
            when 'invalid_event_id' then 'event_id missing or not an integer'
            when 'duplicate_event_id' then 'an earlier line has the same event_id'
            when 'invalid_event_type' then 'event_type missing or not registration, session_ping or match'
            when 'invalid_timestamp' then 'event_timestamp missing or not an integer'
            when 'out_of_season' then 'event_timestamp far outside the season of the data'
            when 'invalid_event_data' then 'event_data not an object or a field missing or mistyped'
            when 'invalid_device_os' then 'device_os not iOS, Android or Web'
            when 'unknown_country_timezone' then 'country without a time zone'
            when 'invalid_goals' then 'goals negative, not integers, or only one side null'
            when 'self_match' then 'a match of a user against themself'
            when 'second_registration' then 'the user registered before'
            when 'unregistered_user' then 'a user of the event never registered'
            when 'before_registration' then 'the event precedes its user''s registration'
            when 'goals_on_match_start' then 'the start event of the match carries goals'
            when 'second_match_start' then 'the match already started'
            when 'match_end_without_start' then 'the match has no start event'
            when 'match_end_before_start' then 'the end event precedes the start event'
            when 'match_players_mismatch' then 'the end event names other players than the start'
            when 'second_match_end' then 'the match already ended'
        end as reason,
        batch_id
    from rejected
)

select * from final
