-- depends_on: {{ ref('int_players__touched_users') }}
-- Every day of `session_data` and of `match_data` is a row of `user_days` with the same
-- figures, and `user_days` has no day that neither of them has. A full build checks every
-- user; an incremental build the users it touched (the others' rows did not change).
{% set touched_only -%}
    {%- if not players_full_build() %}
        user_id in (select touched.user_id from {{ ref('int_players__touched_users') }} as touched)
    {%- else %}
        1 = 1
    {%- endif %}
{%- endset %}

with user_days as (
    select * from {{ ref('players_user_days') }}
    where date is not null and {{ touched_only }}
),

sessions as (
    select * from {{ ref('players_session_data') }}
    where {{ touched_only }}
),

match_days as (
    select * from {{ ref('players_match_data') }}
    where {{ touched_only }}
),

session_mismatches as (
    select
        sessions.user_id,
        sessions.date,
        'session_data' as differs_from
    from sessions
    left join user_days
        on sessions.user_id = user_days.user_id and sessions.date = user_days.date
    where
        user_days.user_id is null
        or user_days.session_count != sessions.session_count
        or user_days.time_spent_in_game != sessions.time_spent_in_game
),

match_mismatches as (
    select
        match_days.user_id,
        match_days.date,
        'match_data' as differs_from
    from match_days
    left join user_days
        on match_days.user_id = user_days.user_id and match_days.date = user_days.date
    where
        user_days.user_id is null
        or user_days.match_seconds != match_days.total_duration
        or user_days.points_home != match_days.total_points_home
        or user_days.points_away != match_days.total_points_away
),

extra_days as (
    select
        user_days.user_id,
        user_days.date,
        'neither' as differs_from
    from user_days
    where
        not exists (
            select 1 from sessions
            where sessions.user_id = user_days.user_id and sessions.date = user_days.date
        )
        and not exists (
            select 1 from match_days
            where match_days.user_id = user_days.user_id and match_days.date = user_days.date
        )
)

select * from session_mismatches
union all
select * from match_mismatches
union all
select * from extra_days
