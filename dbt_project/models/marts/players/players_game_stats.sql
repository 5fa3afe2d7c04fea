-- Per UTC day, and once for all time (`stats_date` null): active users, sessions, sessions per
-- active user, and the user or users with the most points (home + away) in that period.
{{ config(alias='game_stats') }}

with sessions as (
    select * from {{ ref('players_session_data') }}
),

match_days as (
    select * from {{ ref('players_match_data') }}
),

daily_sessions as (
    select
        "date" as stats_date,
        count(*) as active_users,
        sum(session_count) as number_of_sessions
    from sessions
    group by "date"
),

all_time_sessions as (
    select
        cast(null as date) as stats_date,
        count(distinct user_id) as active_users,
        coalesce(sum(session_count), 0) as number_of_sessions
    from sessions
),

session_stats as (
    select * from daily_sessions
    union all
    select * from all_time_sessions
),

daily_points as (
    select
        "date" as stats_date,
        user_id,
        sum(total_points_home + total_points_away) as points
    from match_days
    group by "date", user_id
),

all_time_points as (
    select
        cast(null as date) as stats_date,
        user_id,
        sum(total_points_home + total_points_away) as points
    from match_days
    group by user_id
),

ranked_points as (
    select
        *,
        max(points) over (partition by stats_date) as top_points
    from (
        select * from daily_points
        union all
        select * from all_time_points
    ) as all_points
),

top_users as (
    select
        stats_date,
        max(top_points) as top_points,
        list(user_id order by user_id) as top_users
    from ranked_points
    where points = top_points
    group by stats_date
),

periods as (
    select stats_date from session_stats
    union
    select stats_date from top_users
),

final as (
    select
        periods.stats_date,
        top_users.top_points,
        coalesce(session_stats.active_users, 0) as active_users,
        coalesce(session_stats.number_of_sessions, 0) as number_of_sessions,
        case
            when session_stats.active_users > 0
                then round(session_stats.number_of_sessions / session_stats.active_users, 2)
        end as average_sessions_per_active_user,
        coalesce(top_users.top_users, []) as top_users
    from periods
    left join session_stats on periods.stats_date is not distinct from session_stats.stats_date
    left join top_users on periods.stats_date is not distinct from top_users.stats_date
)

select * from final
