-- depends_on: {{ ref('int_players__changed_files') }}
-- Only the rows of each file's current content, parsed once: the store every build reads
-- (without the raw line, which stays in the raw table).
-- Incremental by file: a build deletes the rows of the files whose content changed and
-- appends their current rows (a full build reads every file). Input order ("the first
-- occurrence") is file name, then line number. On Spark a table rebuilt whole by every build.
{{ config(**incremental_on_duckdb({
    'materialized': 'incremental',
    'incremental_strategy': 'append',
    'on_schema_change': 'sync_all_columns',
    'pre_hook': "{{ players_delete_changed_rows() }}",
})) }}

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
    -- every staging column but the raw line: the quarantine fetches the raw text of the few
    -- discarded events from the raw table (by batch), so no build scans or copies it again
    select
        batch_id,
        source_file,
        line_number,
        event_id_json_type,
        event_id_text,
        event_timestamp_json_type,
        event_timestamp_text,
        event_type_json_type,
        event_type,
        event_data_json_type,
        country_json_type,
        country,
        user_id_json_type,
        user_id,
        device_os_json_type,
        device_os,
        ping_type_json_type,
        ping_type,
        match_id_json_type,
        match_id,
        home_user_id_json_type,
        home_user_id,
        away_user_id_json_type,
        away_user_id,
        home_goals_json_type,
        home_goals_text,
        away_goals_json_type,
        away_goals_text,
        event_id,
        event_timestamp,
        home_goals,
        away_goals
    from current_rows
)

select * from final
