-- Matches with a clean start and a clean end: duration, goals and points per side
-- (win 3, draw 1, loss 0), attributed to the UTC day the match started.
{{ config(materialized='table') }}

with events as (
    select * from {{ ref('int_players__clean_events') }}
    where event_type = 'match'
),

starts as (
    select
        match_id,
        home_user_id,
        away_user_id,
        event_timestamp as started_at
    from events
    where home_goals is null
),

ends as (
    select
        match_id,
        event_timestamp as ended_at,
        home_goals,
        away_goals
    from events
    where home_goals is not null
),

final as (
    select
        starts.match_id,
        starts.home_user_id,
        starts.away_user_id,
        starts.started_at,
        ends.ended_at,
        ends.home_goals,
        ends.away_goals,
        {{ epoch_seconds_to_date('starts.started_at') }} as match_date,
        ends.ended_at - starts.started_at as duration_seconds,
        case
            when ends.home_goals > ends.away_goals then 3
            when ends.home_goals = ends.away_goals then 1
            else 0
        end as home_points,
        case
            when ends.away_goals > ends.home_goals then 3
            when ends.away_goals = ends.home_goals then 1
            else 0
        end as away_points
    from starts
    inner join ends on starts.match_id = ends.match_id
)

select * from final
