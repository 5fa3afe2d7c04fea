-- depends_on: {{ ref('int_players__changed_files') }}
-- Only the rows of each file's current content, parsed once: the store every build reads.
-- Incremental by file: a build deletes the rows of the files whose content changed and
-- appends their current rows (a full build reads every file). Input order ("the first
-- occurrence") is file name, then line number.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ players_delete_changed_rows() }}",
) }}

with current_rows as (
    {% if players_full_build() %}
        {{ current_batch_rows(ref('stg_players__events'), ref('stg_players__files')) }}
    {% else %}
        select changed_rows.*
        from (
            select * from {{ ref('stg_players__events') }}
            where batch_id in {{ players_changed_batches('batch_id') }}
        ) as changed_rows
        inner join {{ ref('int_players__changed_files') }} as changed
            on
                changed_rows.source_file = changed.source_file
                and changed_rows.batch_id = changed.batch_id
    {% endif %}
),

final as (
    select * from current_rows
)

-- every staging column passes through unchanged
select * from final  -- noqa: AM04
