-- Every day of `session_data` and of `match_data` is a row of `user_days` with the same
-- figures, and `user_days` has no day that neither of them has.
with user_days as (
    select * from {{ ref('players_user_days') }}
    where "date" is not null
),

sessions as (
    select * from {{ ref('players_session_data') }}
),

match_days as (
    select * from {{ ref('players_match_data') }}
),

session_mismatches as (
    select
        sessions.user_id,
        sessions."date",
        'session_data' as differs_from
    from sessions
    left join user_days
        on sessions.user_id = user_days.user_id and sessions."date" = user_days."date"
    where
        user_days.user_id is null
        or user_days.session_count != sessions.session_count
        or user_days.time_spent_in_game != sessions.time_spent_in_game
),

match_mismatches as (
    select
        match_days.user_id,
        match_days."date",
        'match_data' as differs_from
    from match_days
    left join user_days
        on match_days.user_id = user_days.user_id and match_days."date" = user_days."date"
    where
        user_days.user_id is null
        or user_days.match_seconds != match_days.total_duration
        or user_days.points_home != match_days.total_points_home
        or user_days.points_away != match_days.total_points_away
),

extra_days as (
    select
        user_days.user_id,
        user_days."date",
        'neither' as differs_from
    from user_days
    where
        not exists (
            select 1 from sessions
            where sessions.user_id = user_days.user_id and sessions."date" = user_days."date"
        )
        and not exists (
            select 1 from match_days
            where match_days.user_id = user_days.user_id and match_days."date" = user_days."date"
        )
)

select * from session_mismatches
union all
select * from match_mismatches
union all
select * from extra_days
