-- Cleaning, stage 3: pairing the start and end events of each match, on the match events that
-- passed stages 1 and 2. A start has null goals, an end has both goals. Events of one match
-- are ordered by time, then input order.
-- A table (only the rule-breaking events): the clean events, the quarantine and the tests read
-- it, and as a view each of them recomputed the windows over every match event.
{{ config(materialized='table') }}

with events as (
    select * from {{ ref('int_players__registrations_checked') }}
    where rule is null and event_type = 'match'
),

ordered as (
    select
        *,
        home_goals is not null as has_goals,
        row_number() over (partition by match_id order by event_timestamp, source_file, line_number) as event_rank,
        count(home_goals) over (partition by match_id) as events_with_goals
    from events
),

goals_on_match_start as (
    -- the first event of a match carries goals although a later event ends it (also with goals)
    select
        *,
        event_rank = 1 and has_goals and events_with_goals >= 2 as breaks_goals_on_match_start
    from ordered
),

starts as (
    select
        *,
        row_number() over (partition by match_id order by event_timestamp, source_file, line_number) as start_rank
    from goals_on_match_start
    where not has_goals
),

first_starts as (
    select
        match_id,
        event_timestamp as started_at,
        home_user_id as start_home_user_id,
        away_user_id as start_away_user_id
    from starts
    where start_rank = 1
),

ends as (
    select
        goals_on_match_start.*,
        first_starts.started_at,
        first_starts.start_home_user_id,
        first_starts.start_away_user_id
    from goals_on_match_start
    left join first_starts on goals_on_match_start.match_id = first_starts.match_id
    where goals_on_match_start.has_goals and not goals_on_match_start.breaks_goals_on_match_start
),

end_rules as (
    select
        *,
        -- an end event of a match that has no start
        started_at is null as breaks_match_end_without_start,
        -- an end event earlier than its match's start
        event_timestamp < started_at as breaks_match_end_before_start,
        -- an end event whose players differ from the start's
        home_user_id <> start_home_user_id
        or away_user_id <> start_away_user_id as breaks_match_players_mismatch
    from ends
),

second_match_end as (
    -- a further end of a match that already ended
    select
        *,
        row_number() over (
            partition by
                match_id,
                breaks_match_end_without_start
                or breaks_match_end_before_start
                or breaks_match_players_mismatch
            order by event_timestamp, source_file, line_number
        ) > 1 as breaks_second_match_end
    from end_rules
),

ruled_starts as (
    select
        source_file,
        line_number,
        case
            when start_rank > 1 then 'second_match_start'  -- a further start of a started match
        end as rule  -- noqa: RF04
    from starts
),

ruled_ends as (
    select
        source_file,
        line_number,
        case
            when breaks_match_end_without_start then 'match_end_without_start'
            when breaks_match_end_before_start then 'match_end_before_start'
            when breaks_match_players_mismatch then 'match_players_mismatch'
            when breaks_second_match_end then 'second_match_end'
        end as rule  -- noqa: RF04
    from second_match_end
),

ruled as (
    select
        source_file,
        line_number,
        'goals_on_match_start' as rule  -- noqa: RF04
    from goals_on_match_start
    where breaks_goals_on_match_start
    union all
    select * from ruled_starts
    union all
    select * from ruled_ends
),

final as (
    select
        events.batch_id,
        events.source_file,
        events.line_number,
        events.event_id,
        events.event_timestamp,
        events.match_id,
        events.home_user_id,
        events.away_user_id,
        events.home_goals,
        events.away_goals,
        ruled.rule
    from events
    inner join ruled
        on events.source_file = ruled.source_file and events.line_number = ruled.line_number
    where ruled.rule is not null
)

select * from final
