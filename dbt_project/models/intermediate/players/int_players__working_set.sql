-- depends_on: {{ ref('int_players__changed_events') }}, {{ ref('int_players__touched_users') }}
-- The current events an incremental build evaluates again (file and line): the changed events,
-- every event naming a touched user, every event of a match one of those events belongs to
-- (a match is judged on all its events), and the registrations of every user those events
-- name (a ping or a match is checked against its users' registrations). Each rule then sees
-- everything it needs for these events, so their results equal a full build's. Empty in a
-- full build, which evaluates every event.
{{ config(materialized='table') }}

{#- The store is read directly by each lookup, with only the columns it needs (a CTE read
    more than once is materialised by DuckDB: a shared CTE of the store copied it). -#}
{%- set store = ref('int_players__current_events') -%}
{%- set lookup_columns = 'source_file, line_number, user_id, home_user_id, away_user_id, match_id' -%}

with
{% if players_full_build() %}
    final as (
        select
            source_file,
            line_number
        from {{ store }}
        where 1 = 0
    )
{% else %}
    changed as (
        select * from {{ ref('int_players__changed_events') }}
        where is_current
    ),

    touched as (
        select user_id from {{ ref('int_players__touched_users') }}
    ),

    of_touched_users as (
        select {{ lookup_columns }}
        from {{ store }}
        where
            user_id in (select touched.user_id from touched)
            or home_user_id in (select touched.user_id from touched)
            or away_user_id in (select touched.user_id from touched)
    ),

    their_matches as (
        select match_id from of_touched_users
        where match_id is not null
        union
        select match_id from changed
        where match_id is not null
    ),

    of_their_matches as (
        select {{ lookup_columns }}
        from {{ store }}
        where match_id in (select their_matches.match_id from their_matches)
    ),

    evaluated as (
        select * from of_touched_users
        union
        select * from of_their_matches
    ),

    named as (
        select distinct named_users.user_id
        from ({{ players_named_users('evaluated') }}) as named_users
    ),

    registrations as (
        select
            source_file,
            line_number
        from {{ store }}
        where
            event_type = 'registration'
            and user_id in (select named.user_id from named)
    ),

    final as (
        select
            source_file,
            line_number
        from changed
        union
        select
            source_file,
            line_number
        from evaluated
        union
        select
            source_file,
            line_number
        from registrations
    )
{% endif %}

select * from final
