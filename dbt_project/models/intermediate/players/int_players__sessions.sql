-- Sessions from the pings alone (the `type` field is not used): a user's pings ordered by
-- time; a gap of more than 60 s starts a new session, exactly 60 s does not. A session
-- belongs to the UTC day it starts; its duration is last ping − first ping.
{{ config(materialized='table') }}

with pings as (
    select
        user_id,
        event_timestamp as ping_at
    from {{ ref('int_players__clean_events') }}
    where event_type = 'session_ping'
),

gaps as (
    select
        user_id,
        ping_at,
        ping_at - lag(ping_at) over (partition by user_id order by ping_at) as gap_seconds
    from pings
),

numbered as (
    select
        user_id,
        ping_at,
        sum(case when gap_seconds is null or gap_seconds > 60 then 1 else 0 end) over (
            partition by user_id order by ping_at rows between unbounded preceding and current row
        ) as session_number
    from gaps
),

final as (
    select
        user_id,
        session_number,
        {{ epoch_seconds_to_date('min(ping_at)') }} as session_date,
        min(ping_at) as started_at,
        max(ping_at) as ended_at,
        max(ping_at) - min(ping_at) as duration_seconds,
        count(*) as pings
    from numbered
    group by user_id, session_number
)

select * from final
