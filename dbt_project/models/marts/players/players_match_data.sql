-- depends_on: {{ ref('int_players__touched_users') }}
-- Per user per UTC day: matches started that day (with a clean end), their total duration
-- and the points won at home and away.
--
-- Incremental by user, like `players_session_data`: an incremental build replaces the rows of
-- the touched users (a match end landing today can complete a match that started yesterday,
-- for both players); a (user, day) whose figures did not change keeps its `refreshed_at`.
-- On Spark a table rebuilt whole by every build.
{{ config(**incremental_on_duckdb({
    'alias': 'match_data',
    'materialized': 'incremental',
    'incremental_strategy': 'delete+insert',
    'unique_key': 'user_id',
    'on_schema_change': 'fail',
    'post_hook': "{{ players_delete_vanished_users(ref('int_players__matches'), ['home_user_id', 'away_user_id']) }}",
})) }}

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
        -- the seed's column name, unquoted: Spark reads "date" as a string literal
        match_date as date,  -- noqa: RF04
        -- BIGINT, as in `players_session_data`
        cast(sum(duration_seconds) as bigint) as total_duration,
        cast(sum(points_home) as bigint) as total_points_home,
        cast(sum(points_away) as bigint) as total_points_away,
        count(*) as matches
    from sides
    {% if is_incremental() %}
        where user_id in (select touched.user_id from {{ ref('int_players__touched_users') }} as touched)
    {% endif %}
    group by user_id, match_date
),

{% if is_incremental() %}
    built as (
        select * from {{ this }}
        where user_id in (select day_figures.user_id from day_figures)
    ),
{% endif %}

final as (
    select
        day_figures.user_id,
        day_figures.date,
        day_figures.matches,
        day_figures.total_duration,
        day_figures.total_points_home,
        day_figures.total_points_away,
        {{ players_refreshed_at(['matches', 'total_duration', 'total_points_home', 'total_points_away']) }}
    from day_figures
    {% if is_incremental() %}
        -- (sqlfluff also lints the full-build rendering, where `built` is not selected)
        left join built on day_figures.user_id = built.user_id and day_figures.date = built.date  -- noqa: ST11
    {% endif %}
)

select * from final
