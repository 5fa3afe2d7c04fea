-- Per user per UTC day: sessions started that day and their total duration.
{{ config(alias='session_data') }}

with sessions as (
    select * from {{ ref('int_players__sessions') }}
),

final as (
    select
        user_id,
        session_date as "date",
        count(*) as session_count,
        sum(duration_seconds) as time_spent_in_game
    from sessions
    group by user_id, session_date
)

select * from final
