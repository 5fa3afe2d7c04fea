{#- The players lake (PLAYERS_LAKE_URL, default the data dir's lake/players): the valid lines of
    every load, `events/event_date=…/batch_id=…/part-0.parquet` (loaders/players/lake.py). The
    source `players_raw.events` reads it: DuckDB as a read_parquet glob (pruned by batch_id
    from the path), Spark as an external table (lake_tables_setup). -#}

{% macro players_lake_url() -%}
    {{- env_var('PLAYERS_LAKE_URL', env_var('TRIBUTARY_DATA_DIR', '../data') ~ '/lake/players') | trim | replace('s3a://', 's3://') -}}
{%- endmacro %}

{% macro players_lake_setup() -%}
    {{- lake_setup('players_raw', players_lake_url()) -}}
{%- endmacro %}

{#- `select * from` the lake's events, or a typed empty relation while the lake holds no file
    yet (DuckDB's read_parquet fails on an empty glob). -#}
{% macro players_lake_events() -%}
    {{- return(adapter.dispatch('players_lake_events')()) -}}
{%- endmacro %}

{% macro default__players_lake_events() -%}
    select * from {{ source('players_raw', 'events') }}
{%- endmacro %}

{% macro duckdb__players_lake_events() -%}
    {%- if not execute or lake_has_files('players_raw', players_lake_url(), 'events/*/*/*.parquet') -%}
        select * from {{ source('players_raw', 'events') }}
    {%- else -%}
        select
            null::varchar as source_file, null::bigint as line_number, null::varchar as raw,
            null::varchar as event_date, null::varchar as batch_id
        where false
    {%- endif -%}
{%- endmacro %}
