-- Every valid event of the current file contents, in the order the API pages through them.
{{ config(alias='user_events') }}

with events as (
    select * from {{ ref('int_gaming__current_events') }}
),

final as (
    select
        user_id as "user",
        event_timestamp as "timestamp",
        event_name as evtname,
        spend_text as spend,
        source_file,
        line_number
    from events
)

select * from final
