-- Per user per UTC day: matches started that day (with a clean end), their total duration
-- and the points won at home and away.
{{ config(alias='match_data') }}

with matches as (
    select * from {{ ref('int_players__matches') }}
),

sides as (
    select
        home_user_id as user_id,
        match_date,
        duration_seconds,
        home_points as points_home,
        0 as points_away
    from matches
    union all
    select
        away_user_id as user_id,
        match_date,
        duration_seconds,
        0 as points_home,
        away_points as points_away
    from matches
),

final as (
    select
        user_id,
        match_date as "date",
        count(*) as matches,
        sum(duration_seconds) as total_duration,
        sum(points_home) as total_points_home,
        sum(points_away) as total_points_away
    from sides
    group by user_id, match_date
)

select * from final
