-- depends_on: {{ ref('int_players__working_set') }}
-- Cleaning, stage 1: rules that look at one event (plus duplicates and the season).
-- Each rule is one CTE adding one flag; `rule` is the first rule (in this order) an event breaks.
-- A full build checks every current event; an incremental build the working set (duplicates
-- are still judged against every current event, the season against all of them).
{{ config(materialized='table') }}

with events as (
    {{ players_working_events() }}
),

invalid_event_id as (
    -- event_id missing or not a JSON integer
    select
        *,
        event_id is null as breaks_invalid_event_id
    from events
),

{% if players_full_build() %}
    duplicate_event_id as (
        -- same event_id as an earlier line in input order (payloads may differ; the first wins)
        select
            *,
            event_id is not null
            and row_number() over (
                partition by event_id order by source_file, line_number
            ) > 1 as breaks_duplicate_event_id
        from invalid_event_id
    ),
{% else %}
    occurrences as (
        -- every current line carrying an event_id of the working set, in input order
        select
            source_file,
            line_number,
            row_number() over (partition by event_id order by source_file, line_number) as occurrence
        from {{ ref('int_players__current_events') }}
        where event_id in (select invalid_event_id.event_id from invalid_event_id)
    ),

    duplicate_event_id as (
        -- same event_id as an earlier line in input order (payloads may differ; the first wins)
        select
            invalid_event_id.*,
            coalesce(occurrences.occurrence > 1, false) as breaks_duplicate_event_id
        from invalid_event_id
        left join occurrences
            on
                invalid_event_id.source_file = occurrences.source_file
                and invalid_event_id.line_number = occurrences.line_number
    ),
{% endif %}

invalid_event_type as (
    -- event_type missing, not a string, or not one of the three known types
    select
        *,
        coalesce(event_type_json_type, '') <> 'VARCHAR'
        or event_type not in ('registration', 'session_ping', 'match') as breaks_invalid_event_type
    from duplicate_event_id
),

invalid_timestamp as (
    -- event_timestamp missing or not a JSON integer (unix seconds)
    select
        *,
        event_timestamp is null as breaks_invalid_timestamp
    from invalid_event_type
),

season as (
    select median_timestamp from {{ ref('int_players__season') }}
),

out_of_season as (
    -- more than {{ var('players_season_half_width_days', 365) }} days from the median event time
    select
        invalid_timestamp.*,
        abs(invalid_timestamp.event_timestamp - season.median_timestamp)
        > {{ var('players_season_half_width_days', 365) }} * 86400 as breaks_out_of_season
    from invalid_timestamp
    cross join season
),

invalid_event_data as (
    -- event_data not an object, or a field its event_type needs missing or mistyped
    select
        *,
        coalesce(
            coalesce(event_data_json_type, '') <> 'OBJECT'
            or (
                event_type = 'registration'
                and (
                    coalesce(country_json_type, '') <> 'VARCHAR' or country = ''
                    or coalesce(user_id_json_type, '') <> 'VARCHAR' or user_id = ''
                    or coalesce(device_os_json_type, '') <> 'VARCHAR'
                )
            )
            or (
                event_type = 'session_ping'
                and (
                    coalesce(user_id_json_type, '') <> 'VARCHAR' or user_id = ''
                    or coalesce(ping_type_json_type, '') <> 'VARCHAR'
                    or ping_type not in ('session_start', 'session_end', '')
                )
            )
            or (
                event_type = 'match'
                and (
                    match_id_json_type not in ('VARCHAR', 'UBIGINT', 'BIGINT')
                    or match_id_json_type is null or match_id = ''
                    or coalesce(home_user_id_json_type, '') <> 'VARCHAR' or home_user_id = ''
                    or coalesce(away_user_id_json_type, '') <> 'VARCHAR' or away_user_id = ''
                    or home_goals_json_type is null or away_goals_json_type is null
                )
            ),
            true
        ) as breaks_invalid_event_data
    from out_of_season
),

invalid_device_os as (
    -- a registration's device_os is not iOS, Android or Web
    select
        *,
        event_type = 'registration'
        and device_os not in ('iOS', 'Android', 'Web') as breaks_invalid_device_os
    from invalid_event_data
),

timezones as (
    select * from {{ ref('stg_players__timezones') }}
),

unknown_country_timezone as (
    -- a registration's country has no time zone in the time-zone file
    select
        invalid_device_os.*,
        timezones.timezone,
        invalid_device_os.event_type = 'registration'
        and timezones.timezone is null as breaks_unknown_country_timezone
    from invalid_device_os
    left join timezones on invalid_device_os.country = timezones.country
),

invalid_goals as (
    -- goals negative or not integers, or one side null and the other not
    select
        *,
        event_type = 'match'
        and (
            (home_goals_json_type <> 'NULL' and (home_goals is null or home_goals < 0))
            or (away_goals_json_type <> 'NULL' and (away_goals is null or away_goals < 0))
            or ((home_goals_json_type = 'NULL') <> (away_goals_json_type = 'NULL'))
        ) as breaks_invalid_goals
    from unknown_country_timezone
),

self_match as (
    -- a match of a user against themself
    select
        *,
        event_type = 'match' and home_user_id = away_user_id as breaks_self_match
    from invalid_goals
),

final as (
    select
        batch_id,
        source_file,
        line_number,
        event_id,
        event_timestamp,
        event_type,
        country,
        timezone,
        user_id,
        device_os,
        ping_type,
        match_id,
        home_user_id,
        away_user_id,
        home_goals,
        away_goals,
        case
            when breaks_invalid_event_id then 'invalid_event_id'
            when breaks_duplicate_event_id then 'duplicate_event_id'
            when breaks_invalid_event_type then 'invalid_event_type'
            when breaks_invalid_timestamp then 'invalid_timestamp'
            when breaks_out_of_season then 'out_of_season'
            when breaks_invalid_event_data then 'invalid_event_data'
            when breaks_invalid_device_os then 'invalid_device_os'
            when breaks_unknown_country_timezone then 'unknown_country_timezone'
            when breaks_invalid_goals then 'invalid_goals'
            when breaks_self_match then 'self_match'
        end as rule  -- noqa: RF04
    from self_match
)

select * from final
