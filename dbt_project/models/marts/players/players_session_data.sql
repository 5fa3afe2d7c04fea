-- Per user per UTC day: sessions started that day and their total duration.
--
-- Incremental by day: each build computes the per-day figures from the clean sessions and
-- rewrites only the days whose figures changed (delete + insert by "date"); the other days
-- keep their rows and their `refreshed_at`. A day is compared as a whole, so a user row that
-- disappears from a day also rewrites that day, and the post-hook drops days left with no
-- session at all. Why not "the days of the new events": new pings can extend a session that
-- started the day before, and a late registration can validate events of any earlier day.
{{ config(
    alias='session_data',
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='date',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where \"date\" not in (select session_date from {{ ref('int_players__sessions') }})",
) }}

with sessions as (
    select * from {{ ref('int_players__sessions') }}
),

day_figures as (
    select
        user_id,
        session_date as "date",
        count(*) as session_count,
        sum(duration_seconds) as time_spent_in_game
    from sessions
    group by user_id, session_date
),

{% if is_incremental() %}
    changed_days as (
        {{ players_changed_days('day_figures', ['session_count', 'time_spent_in_game']) }}
    ),
{% endif %}

final as (
    select
        user_id,
        "date",
        session_count,
        time_spent_in_game,
        current_timestamp as refreshed_at
    from day_figures
    {% if is_incremental() %}
        where "date" in (select changed_days."date" from changed_days)
    {% endif %}
)

select * from final
