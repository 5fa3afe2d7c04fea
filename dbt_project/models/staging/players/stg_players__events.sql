-- Every JSON-object line as loaded, with each field's JSON type and its value cast beside it.
-- No rule is applied here: the intermediate models decide what is valid.
with source as (
    select
        batch_id,
        source_file,
        line_number,
        raw as raw_line,
        cast(raw as json) as doc
    from {{ source('players_raw', 'events') }}
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
        json_type(doc, '$.event_id') as event_id_json_type,
        doc ->> '$.event_id' as event_id_text,
        json_type(doc, '$.event_timestamp') as event_timestamp_json_type,
        doc ->> '$.event_timestamp' as event_timestamp_text,
        json_type(doc, '$.event_type') as event_type_json_type,
        doc ->> '$.event_type' as event_type,
        json_type(doc, '$.event_data') as event_data_json_type,
        -- payload
        json_type(doc, '$.event_data.country') as country_json_type,
        doc ->> '$.event_data.country' as country,
        json_type(doc, '$.event_data.user_id') as user_id_json_type,
        doc ->> '$.event_data.user_id' as user_id,
        json_type(doc, '$.event_data.device_os') as device_os_json_type,
        doc ->> '$.event_data.device_os' as device_os,
        json_type(doc, '$.event_data.type') as ping_type_json_type,
        doc ->> '$.event_data.type' as ping_type,
        json_type(doc, '$.event_data.match_id') as match_id_json_type,
        doc ->> '$.event_data.match_id' as match_id,
        json_type(doc, '$.event_data.home_user_id') as home_user_id_json_type,
        doc ->> '$.event_data.home_user_id' as home_user_id,
        json_type(doc, '$.event_data.away_user_id') as away_user_id_json_type,
        doc ->> '$.event_data.away_user_id' as away_user_id,
        json_type(doc, '$.event_data.home_goals_scored') as home_goals_json_type,
        doc ->> '$.event_data.home_goals_scored' as home_goals_text,
        json_type(doc, '$.event_data.away_goals_scored') as away_goals_json_type,
        doc ->> '$.event_data.away_goals_scored' as away_goals_text
    from source
),

final as (
    select
        *,
        -- JSON integers only (UBIGINT / BIGINT); anything else stays null
        case
            when event_id_json_type in ('UBIGINT', 'BIGINT') then try_cast(event_id_text as bigint)
        end as event_id,
        case
            when event_timestamp_json_type in ('UBIGINT', 'BIGINT')
                then try_cast(event_timestamp_text as bigint)
        end as event_timestamp,
        case
            when home_goals_json_type in ('UBIGINT', 'BIGINT') then try_cast(home_goals_text as bigint)
        end as home_goals,
        case
            when away_goals_json_type in ('UBIGINT', 'BIGINT') then try_cast(away_goals_text as bigint)
        end as away_goals
    from fields
)

select * from final
