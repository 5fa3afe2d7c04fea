-- The events that broke no cleaning rule: what every mart is built from.
{{ config(materialized='table') }}

with stage_two as (
    select * from {{ ref('int_players__registrations_checked') }}
),

matches_checked as (
    select
        source_file,
        line_number,
        rule
    from {{ ref('int_players__matches_checked') }}
),

final as (
    select
        stage_two.batch_id,
        stage_two.source_file,
        stage_two.line_number,
        stage_two.event_id,
        stage_two.event_timestamp,
        stage_two.event_type,
        stage_two.country,
        stage_two.timezone,
        stage_two.user_id,
        stage_two.device_os,
        stage_two.ping_type,
        stage_two.match_id,
        stage_two.home_user_id,
        stage_two.away_user_id,
        stage_two.home_goals,
        stage_two.away_goals
    from stage_two
    left join matches_checked
        on
            stage_two.source_file = matches_checked.source_file
            and stage_two.line_number = matches_checked.line_number
    where stage_two.rule is null and matches_checked.rule is null
)

select * from final
