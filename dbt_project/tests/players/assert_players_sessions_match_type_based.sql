-- Type-based sessions (session_start … session_end) agree with the window-function sessions
-- wherever both are clean.
with pings as (
    select
        user_id,
        event_timestamp as ping_at,
        ping_type,
        event_timestamp - (lag(event_timestamp) over by_user) as gap_before,
        (lead(event_timestamp) over by_user) - event_timestamp as gap_after
    from {{ ref('int_players__clean_events') }}
    where event_type = 'session_ping'
    window by_user as (partition by user_id order by event_timestamp, source_file, line_number)
),

starts as (
    select
        user_id,
        ping_at as started_at
    from pings
    where ping_type = 'session_start' and (gap_before is null or gap_before > 60)
),

ends as (
    select
        user_id,
        ping_at as ended_at
    from pings
    where ping_type = 'session_end' and (gap_after is null or gap_after > 60)
),

marks as (
    select
        user_id,
        started_at as marked_at,
        0 as is_end
    from starts
    union all
    select
        user_id,
        ended_at as marked_at,
        1 as is_end
    from ends
),

next_ends as (
    -- each start with the first end at or after it (an as-of join, as both engines spell it)
    select
        user_id,
        marked_at,
        is_end,
        min(case when is_end = 1 then marked_at end) over (
            partition by user_id order by marked_at, is_end
            rows between current row and unbounded following
        ) as ended_at
    from marks
),

type_based as (
    select
        user_id,
        marked_at as started_at,
        ended_at
    from next_ends
    where is_end = 0 and ended_at is not null
),

clean_type_based as (
    select type_based.*
    from type_based
    where not exists (
        select 1
        from pings
        where
            pings.user_id = type_based.user_id
            and pings.ping_at > type_based.started_at
            and pings.ping_at <= type_based.ended_at
            and pings.gap_before > 60
    )
),

window_based as (
    select
        user_id,
        started_at,
        ended_at
    from {{ ref('int_players__sessions') }}
)

select clean_type_based.*
from clean_type_based
left join window_based
    on
        clean_type_based.user_id = window_based.user_id
        and clean_type_based.started_at = window_based.started_at
        and clean_type_based.ended_at = window_based.ended_at
where window_based.user_id is null
