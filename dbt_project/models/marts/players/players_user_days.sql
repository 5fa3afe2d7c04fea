-- depends_on: {{ ref('int_players__touched_users') }}
-- What `GET /api/user-stats` reads: a user's registration fields repeated on each of their
-- UTC days (sessions and matches, full-outer-joined), or on one row with a null `date` for a
-- user without any day. A user has at most a season of days, so the API answers with one
-- indexed point lookup and sums those few rows (all-time figures, last login) itself.
--
-- Incremental by user: an incremental build deletes the rows of the touched users (pre-hook)
-- and inserts theirs again (on Spark a table rebuilt whole by every build).
{{ config(**incremental_on_duckdb({
    'alias': 'user_days',
    'materialized': 'incremental',
    'incremental_strategy': 'append',
    'on_schema_change': 'fail',
    'pre_hook': "{{ players_delete_touched_users() }}",
})) }}

with registrations as (
    select * from {{ ref('players_registration_data') }}
    {{ players_where_touched() }}
),

sessions as (
    select * from {{ ref('players_session_data') }}
    {{ players_where_touched() }}
),

match_days as (
    select * from {{ ref('players_match_data') }}
    {{ players_where_touched() }}
),

user_days as (
    select
        coalesce(sessions.user_id, match_days.user_id) as user_id,
        coalesce(sessions.date, match_days.date) as date,  -- noqa: RF04
        coalesce(sessions.session_count, 0)::bigint as session_count,
        coalesce(sessions.time_spent_in_game, 0)::bigint as time_spent_in_game,
        coalesce(match_days.total_duration, 0)::bigint as match_seconds,
        coalesce(match_days.total_points_home, 0)::bigint as points_home,
        coalesce(match_days.total_points_away, 0)::bigint as points_away
    from sessions
    full outer join match_days
        on sessions.user_id = match_days.user_id and sessions.date = match_days.date
),

final as (
    select
        registrations.user_id,
        registrations.country,
        registrations.registration_date_local_timezone,
        user_days.date,
        user_days.session_count,
        user_days.time_spent_in_game,
        user_days.match_seconds,
        user_days.points_home,
        user_days.points_away
    from registrations
    left join user_days on registrations.user_id = user_days.user_id
)

select * from final
