-- depends_on: {{ ref('players_game_stats') }}, {{ ref('players_user_days') }}, {{ ref('players_quarantine') }}
-- What this build applied, for the next build to compare with (`players_incremental.sql`):
-- the manifest (file → batch of its current content), the season's median and the time zones,
-- and which build this was and which complete build it started from (none after a full
-- build): the serving snapshot publishes only the touched users' rows when it holds that one.
-- Built after every mart, so it only moves once a build completed.
{{ config(materialized='table') }}

with files as (
    select
        'file' as kind,
        source_file as key,  -- noqa: RF04
        batch_id as value  -- noqa: RF04
    from {{ ref('stg_players__files') }}
),

season as (
    select
        'season' as kind,
        cast(null as string) as key,  -- noqa: RF04
        cast(median_timestamp as string) as value  -- noqa: RF04
    from {{ ref('int_players__season') }}
),

timezones as (
    select
        'timezone' as kind,
        country as key,  -- noqa: RF04
        timezone as value  -- noqa: RF04
    from {{ ref('stg_players__timezones') }}
),

builds as (
    select
        'build' as kind,
        cast(null as string) as key,  -- noqa: RF04
        '{{ invocation_id }}' as value  -- noqa: RF04
    {% if not players_full_build() %}
        union all
        select
            'previous_build' as kind,
            cast(null as string) as key,  -- noqa: RF04
            value  -- noqa: RF04
        from {{ players_applied_state() }}
        where kind = 'build'
    {% endif %}
),

final as (
    select * from builds
    union all
    select * from files
    union all
    select * from season
    union all
    select * from timezones
)

select * from final
