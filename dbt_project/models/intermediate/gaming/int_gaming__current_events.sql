-- Only the rows of each file's current content: a rewritten file's older batches drop out.
with events as (
    select * from {{ ref('stg_gaming__events') }}
),

files as (
    select
        source_file,
        batch_id
    from {{ ref('stg_gaming__files') }}
),

final as (
    select
        events.batch_id,
        events.source_file,
        events.line_number,
        events.user_id,
        events.event_timestamp,
        events.event_name,
        events.spend_text,
        events.event_at,
        events.spend_amount
    from events
    inner join files
        on
            events.source_file = files.source_file
            and events.batch_id = files.batch_id
)

select * from final
