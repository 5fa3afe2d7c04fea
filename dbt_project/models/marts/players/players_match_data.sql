-- Per user per UTC day: matches started that day (with a clean end), their total duration
-- and the points won at home and away.
--
-- Incremental by day, like `players_session_data`: only days whose figures changed are
-- rewritten (a match end landing today can complete a match that started yesterday).
{{ config(
    alias='match_data',
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='date',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where \"date\" not in (select match_date from {{ ref('int_players__matches') }})",
) }}

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

day_figures as (
    select
        user_id,
        match_date as "date",
        count(*) as matches,
        sum(duration_seconds) as total_duration,
        sum(points_home) as total_points_home,
        sum(points_away) as total_points_away
    from sides
    group by user_id, match_date
),

{% if is_incremental() %}
    changed_days as (
        {{ players_changed_days('day_figures', ['matches', 'total_duration', 'total_points_home', 'total_points_away']) }}
    ),
{% endif %}

final as (
    select
        user_id,
        "date",
        matches,
        total_duration,
        total_points_home,
        total_points_away,
        current_timestamp as refreshed_at
    from day_figures
    {% if is_incremental() %}
        where "date" in (select changed_days."date" from changed_days)
    {% endif %}
)

select * from final
