-- Every JSON-object line as loaded, with each field's JSON type and its value cast beside it.
-- No rule is applied here: the intermediate models decide what is valid.
-- The lines are read in place from the players lake (a filter on batch_id prunes its files).
{{ config(pre_hook="{{ players_lake_setup(['events']) }}") }}

with source as (
    select
        batch_id,
        source_file,
        line_number,
        raw as raw_line
    from ({{ players_lake_source('events') }}) as lake_events
),

parts as (
    -- Two JSON parses per line: all JSON types in one json_type call and all values in one
    -- json_extract_string call, each given the list of paths (one call per field parsed the
    -- line 26 times: 4x slower, 435 s of a 10M-event build). A missing field has a null
    -- type, a JSON null the type 'NULL'; values are unquoted text (null for JSON null).
    select
        batch_id,
        source_file,
        line_number,
        raw_line,
        {{ json_types('raw_line', players_event_paths()) }} as json_types,
        {{ json_texts('raw_line', players_event_paths()) }} as texts
    from source
),

fields as (
    -- columns grouped by kind (lineage, envelope, payload), not by rule ST06
    select  -- noqa: ST06
        -- lineage
        batch_id,
        source_file,
        line_number,
        raw_line,
        -- envelope
        {{ list_item('json_types', 1) }} as event_id_json_type,
        {{ list_item('texts', 1) }} as event_id_text,
        {{ list_item('json_types', 2) }} as event_timestamp_json_type,
        {{ list_item('texts', 2) }} as event_timestamp_text,
        {{ list_item('json_types', 3) }} as event_type_json_type,
        {{ list_item('texts', 3) }} as event_type,
        {{ list_item('json_types', 4) }} as event_data_json_type,
        -- payload
        {{ list_item('json_types', 5) }} as country_json_type,
        {{ list_item('texts', 5) }} as country,
        {{ list_item('json_types', 6) }} as user_id_json_type,
        {{ list_item('texts', 6) }} as user_id,
        {{ list_item('json_types', 7) }} as device_os_json_type,
        {{ list_item('texts', 7) }} as device_os,
        {{ list_item('json_types', 8) }} as ping_type_json_type,
        {{ list_item('texts', 8) }} as ping_type,
        {{ list_item('json_types', 9) }} as match_id_json_type,
        {{ list_item('texts', 9) }} as match_id,
        {{ list_item('json_types', 10) }} as home_user_id_json_type,
        {{ list_item('texts', 10) }} as home_user_id,
        {{ list_item('json_types', 11) }} as away_user_id_json_type,
        {{ list_item('texts', 11) }} as away_user_id,
        {{ list_item('json_types', 12) }} as home_goals_json_type,
        {{ list_item('texts', 12) }} as home_goals_text,
        {{ list_item('json_types', 13) }} as away_goals_json_type,
        {{ list_item('texts', 13) }} as away_goals_text
    from parts
),

final as (
    select
        *,
        -- JSON integers only (UBIGINT / BIGINT); anything else stays null
        case
            when event_id_json_type in ('UBIGINT', 'BIGINT') then {{ safe_cast('event_id_text', 'bigint') }}
        end as event_id,
        case
            when event_timestamp_json_type in ('UBIGINT', 'BIGINT')
                then {{ safe_cast('event_timestamp_text', 'bigint') }}
        end as event_timestamp,
        case
            when home_goals_json_type in ('UBIGINT', 'BIGINT') then {{ safe_cast('home_goals_text', 'bigint') }}
        end as home_goals,
        case
            when away_goals_json_type in ('UBIGINT', 'BIGINT') then {{ safe_cast('away_goals_text', 'bigint') }}
        end as away_goals
    from fields
)

select * from final
