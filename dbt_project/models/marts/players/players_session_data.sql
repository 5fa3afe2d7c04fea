-- depends_on: {{ ref('int_players__touched_users') }}
-- Per user per UTC day: sessions started that day and their total duration.
--
-- Incremental by user: an incremental build computes the day figures of the touched users
-- (`int_players__touched_users`) and replaces those users' rows (delete + insert on user_id;
-- the post-hook drops touched users left without any session). A (user, day) whose figures
-- did not change keeps its `refreshed_at`. On Spark a table rebuilt whole by every build.
{{ config(**incremental_on_duckdb({
    'alias': 'session_data',
    'materialized': 'incremental',
    'incremental_strategy': 'delete+insert',
    'unique_key': 'user_id',
    'on_schema_change': 'fail',
    'post_hook': "{{ players_delete_vanished_users(ref('int_players__sessions'), ['user_id']) }}",
})) }}

with sessions as (
    select * from {{ ref('int_players__sessions') }}
    {% if is_incremental() %}
        where user_id in (select touched.user_id from {{ ref('int_players__touched_users') }} as touched)
    {% endif %}
),

day_figures as (
    select
        user_id,
        -- the seed's column name, unquoted: Spark reads "date" as a string literal
        session_date as date,  -- noqa: RF04
        -- BIGINT: DuckDB's sum of BIGINT is a HUGEINT, 10-20x slower to scan, and every build
        -- reads these figures again (Spark's sum is a BIGINT already)
        cast(sum(duration_seconds) as bigint) as time_spent_in_game,
        count(*) as session_count
    from sessions
    group by user_id, session_date
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
        day_figures.session_count,
        day_figures.time_spent_in_game,
        {{ players_refreshed_at(['session_count', 'time_spent_in_game']) }}
    from day_figures
    {% if is_incremental() %}
        -- (sqlfluff also lints the full-build rendering, where `built` is not selected)
        left join built on day_figures.user_id = built.user_id and day_figures.date = built.date  -- noqa: ST11
    {% endif %}
)

select * from final
