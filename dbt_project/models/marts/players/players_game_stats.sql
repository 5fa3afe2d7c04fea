-- Per UTC day, and once for all time (`stats_date` null): active users, sessions, sessions per
-- active user, and the user or users with the most points (home + away) in that period.
{{ config(alias='game_stats') }}

{#- The marts are read directly where needed: DuckDB materialises a CTE read more than once,
    and a shared CTE copied both tables whole. -#}
{%- set sessions = ref('players_session_data') -%}
{%- set match_days = ref('players_match_data') -%}

with daily_sessions as (
    select
        date as stats_date,
        count(*) as active_users,
        sum(session_count) as number_of_sessions
    from {{ sessions }}
    group by date
),

all_time_sessions as (
    select
        cast(null as date) as stats_date,
        count(distinct user_id) as active_users,
        coalesce(sum(session_count), 0) as number_of_sessions
    from {{ sessions }}
),

session_stats as (
    select * from daily_sessions
    union all
    select * from all_time_sessions
),

day_points as (
    -- `match_data` has one row per user and day: a row's points are the user's points that
    -- day. Read once and reused below.
    select
        user_id,
        date,
        total_points_home + total_points_away as points
    from {{ match_days }}
),

daily_top_points as (
    select
        date as stats_date,
        max(points) as top_points
    from day_points
    group by date
),

daily_top_users as (
    select
        day_points.date as stats_date,
        max(daily_top_points.top_points) as top_points,
        {{ sorted_list('day_points.user_id') }} as top_users
    from day_points
    inner join daily_top_points
        on
            day_points.date = daily_top_points.stats_date
            and day_points.points = daily_top_points.top_points
    group by day_points.date
),

all_time_points as (
    select
        user_id,
        sum(points) as points
    from day_points
    group by user_id
),

all_time_top_users as (
    select
        cast(null as date) as stats_date,
        max(points) as top_points,
        {{ sorted_list('user_id') }} as top_users
    from all_time_points
    where points = (select max(best.points) from all_time_points as best)
    having count(*) > 0
),

top_users as (
    -- (grouped aggregates and one join: a window over every user's points per period
    -- took 6 CPU seconds at 10 M events)
    select * from daily_top_users
    union all
    select * from all_time_top_users
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
                then {{ round_double('session_stats.number_of_sessions / session_stats.active_users', 2) }}
        end as average_sessions_per_active_user,
        coalesce(top_users.top_users, {{ empty_list('varchar') }}) as top_users
    from periods
    left join session_stats on periods.stats_date is not distinct from session_stats.stats_date
    left join top_users on periods.stats_date is not distinct from top_users.stats_date
)

select * from final
