-- depends_on: {{ ref('int_players__changed_events') }}
-- The users whose marts this build rewrites. Every rule and figure is per user except two:
-- duplicate ids and the season, whose effects `int_players__changed_events` already lists. So
-- the users named by a changed event (`user_id`, or a match's home and away user), plus every
-- user named in a match one of them plays (a user's late registration validates the matches
-- of their opponents too, and a match end can name other players than its start). A full
-- build lists every user named by any event.
{{ config(materialized='table') }}

{#- The store is read directly by each lookup, with only the columns it needs (a CTE read
    more than once is materialised by DuckDB: a shared CTE of the store copied it). -#}
{%- set store = ref('int_players__current_events') -%}

with
{% if players_full_build() %}
    named as (
        {{ players_named_users(store) }}
    ),
{% else %}
    changed as (
        select * from {{ ref('int_players__changed_events') }}
    ),

    first_users as (
        select distinct named_by_changes.user_id
        from ({{ players_named_users('changed') }}) as named_by_changes
    ),

    their_matches as (
        select match_id from changed
        where match_id is not null
        union
        select match_id from {{ store }}
        where
            match_id is not null
            and (
                user_id in (select first_users.user_id from first_users)
                or home_user_id in (select first_users.user_id from first_users)
                or away_user_id in (select first_users.user_id from first_users)
            )
    ),

    match_events as (
        select
            user_id,
            home_user_id,
            away_user_id
        from {{ store }}
        where match_id in (select their_matches.match_id from their_matches)
    ),

    named as (
        select user_id from first_users
        union all
        {{ players_named_users('match_events') }}
    ),
{% endif %}

final as (
    select distinct user_id from named
)

select * from final
