-- Only the rows of each file's current content, numbered in input order (file name, then line):
-- what "the first occurrence in input order" means for duplicates.
-- A table: staging parses each JSON line here, once; stage 1 and the tests read the result.
{{ config(materialized='table') }}

with current_rows as (
    {{ current_batch_rows(ref('stg_players__events'), ref('stg_players__files')) }}
),

final as (
    select
        *,
        row_number() over (order by source_file, line_number) as input_order
    from current_rows
)

-- every staging column passes through unchanged, plus input_order
select * from final  -- noqa: AM04
