-- Cleaning, stage 2: rules about registrations, on the events that passed stage 1.
-- A user's registration is their earliest valid registration (time, then input order).
{{ config(materialized='table') }}

with events as (
    select * from {{ ref('int_players__events_checked') }}
    where rule is null
),

second_registration as (
    -- a registration of a user who already registered earlier
    select
        *,
        event_type = 'registration'
        and row_number() over (
            partition by event_type, user_id order by event_timestamp, source_file, line_number
        ) > 1 as breaks_second_registration
    from events
),

registrations as (
    select
        user_id,
        event_timestamp as registered_at
    from second_registration
    where event_type = 'registration' and not breaks_second_registration
),

with_subject as (
    -- the user an event is about: the pinging user, or the home side of a match
    select
        *,
        case
            when event_type = 'session_ping' then user_id
            when event_type = 'match' then home_user_id
        end as first_user_id,
        case when event_type = 'match' then away_user_id end as second_user_id
    from second_registration
),

with_registration as (
    -- plain equality joins (a condition on the event type inside the join made DuckDB fall
    -- back to a slow join plan: 85 s for 200k events)
    select
        with_subject.*,
        first_user.registered_at as first_user_registered_at,
        second_user.registered_at as away_user_registered_at
    from with_subject
    left join registrations as first_user
        on with_subject.first_user_id = first_user.user_id
    left join registrations as second_user
        on with_subject.second_user_id = second_user.user_id
),

unregistered_user as (
    -- a ping or match of a user (either side of a match) who never registered
    select
        *,
        (event_type = 'session_ping' and first_user_registered_at is null)
        or (
            event_type = 'match'
            and (first_user_registered_at is null or away_user_registered_at is null)
        ) as breaks_unregistered_user
    from with_registration
),

before_registration as (
    -- a ping or match earlier than the registration of its user (either side of a match)
    select
        *,
        event_timestamp < first_user_registered_at
        or (event_type = 'match' and event_timestamp < away_user_registered_at)
            as breaks_before_registration
    from unregistered_user
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
            when breaks_second_registration then 'second_registration'
            when breaks_unregistered_user then 'unregistered_user'
            when breaks_before_registration then 'before_registration'
        end as rule  -- noqa: RF04
    from before_registration
)

select * from final
