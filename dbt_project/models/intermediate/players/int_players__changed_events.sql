-- depends_on: {{ ref('stg_players__events') }}, {{ ref('int_players__changed_files') }}, {{ ref('int_players__season') }}, {{ ref('stg_players__timezones') }}
-- The events a change since the last complete build can give another rule: the rows of the
-- files whose content changed (their current rows, and their previous rows, `is_current`
-- false), every current event sharing an `event_id` with those (which occurrence comes first
-- may have changed), the events whose distance to the season's median crossed the limit
-- (the median moved), and the registrations of a country whose time zone changed.
-- Empty in a full build, which evaluates every event.
{{ config(materialized='table') }}

{#- Each lookup below reads the store itself, with only the columns it needs and its filter
    beside the scan (DuckDB materialises a CTE read more than once: a shared CTE of the store
    copied every column of every event before any filter). -#}
{%- set store = ref('int_players__current_events') -%}
{%- set columns = 'source_file, line_number, event_id, user_id, home_user_id, away_user_id, match_id' -%}

with
{% if players_full_build() %}
    final as (
        select
            {{ columns }},
            true as is_current
        from {{ store }}
        where 1 = 0
    )
{% else %}
    changed_files as (
        select * from {{ ref('int_players__changed_files') }}
    ),

    new_rows as (
        select {{ columns }} from {{ store }}
        where source_file in (
            select changed_files.source_file
            from changed_files
            where changed_files.batch_id is not null
        )
    ),

    old_rows as (
        select
            previous.source_file,
            previous.line_number,
            previous.event_id,
            previous.user_id,
            previous.home_user_id,
            previous.away_user_id,
            previous.match_id
        from (
            select * from {{ ref('stg_players__events') }}
            where batch_id in {{ players_changed_batches('previous_batch_id') }}
        ) as previous
        inner join changed_files
            on
                previous.source_file = changed_files.source_file
                and previous.batch_id = changed_files.previous_batch_id
    ),

    changed_ids as (
        select event_id from new_rows
        where event_id is not null
        union
        select event_id from old_rows
        where event_id is not null
    ),

    same_ids as (
        -- the id index: a hash lookup whose key range also prunes the store's row groups
        select {{ columns }} from {{ store }}
        where event_id in (select changed_ids.event_id from changed_ids)
    ),

    seasons as (
        select
            season.median_timestamp,
            cast(applied.value as double) as applied_median_timestamp
        from {{ ref('int_players__season') }} as season
        left join {{ players_applied_state() }} as applied on applied.kind = 'season'
    ),

    flipped_timestamps as (
        -- in season by one median and out of it by the other (one narrow column scanned)
        select distinct store.event_timestamp
        from {{ store }} as store
        cross join seasons
        where
            (
                abs(store.event_timestamp - seasons.median_timestamp)
                > {{ var('players_season_half_width_days', 365) }} * 86400
            )
            <> (
                abs(store.event_timestamp - seasons.applied_median_timestamp)
                > {{ var('players_season_half_width_days', 365) }} * 86400
            )
    ),

    season_flips as (
        -- usually none, and a join with an empty side does not read the store
        select {% for column in columns.split(', ') %}store.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
        from {{ store }} as store
        inner join flipped_timestamps on store.event_timestamp = flipped_timestamps.event_timestamp
    ),

    applied_timezones as (
        select
            key as country,
            value as timezone
        from {{ players_applied_state() }}
        where kind = 'timezone'
    ),

    changed_countries as (
        select coalesce(timezones.country, applied_timezones.country) as country
        from {{ ref('stg_players__timezones') }} as timezones
        full outer join applied_timezones on timezones.country = applied_timezones.country
        where timezones.timezone is distinct from applied_timezones.timezone
    ),

    timezone_registrations as (
        select {{ columns }} from {{ store }}
        where
            event_type = 'registration'
            and country in (select changed_countries.country from changed_countries)
    ),

    current_changes as (
        select * from new_rows
        union
        select * from same_ids
        union
        select * from season_flips
        union
        select * from timezone_registrations
    ),

    final as (
        select
            source_file,
            line_number,
            event_id,
            user_id,
            home_user_id,
            away_user_id,
            match_id,
            true as is_current
        from current_changes
        union all
        select
            source_file,
            line_number,
            event_id,
            user_id,
            home_user_id,
            away_user_id,
            match_id,
            false as is_current
        from old_rows
    )
{% endif %}

select * from final
