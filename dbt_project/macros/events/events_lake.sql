{#- The events lake: its URL (EVENTS_LAKE_URL, default the data dir's lake/events), its setup
    before a model reads it (DuckDB: S3 access from the AWS_* variables; Spark: the external
    tables, see cross_db/lake_tables.sql), and whether it holds any file yet (an empty glob
    would fail DuckDB's read_parquet; Spark reads an empty folder as no rows). -#}

{% macro events_lake_url() -%}
    {{- env_var('EVENTS_LAKE_URL', env_var('TRIBUTARY_DATA_DIR', '../data') ~ '/lake/events') | trim | replace('s3a://', 's3://') -}}
{%- endmacro %}

{% macro events_lake_setup() -%}
    {{- return(adapter.dispatch('events_lake_setup')()) -}}
{%- endmacro %}

{% macro default__events_lake_setup() -%}
    {{- lake_tables_setup('events_lake', events_lake_url()) -}}
{%- endmacro %}

{% macro duckdb__events_lake_setup() -%}
    {%- set url = events_lake_url() -%}
    {%- if url.startswith('s3://') -%}
        {%- set endpoint = env_var('AWS_ENDPOINT_URL_S3', env_var('AWS_ENDPOINT_URL', '')) -%}
        load httpfs;
        create or replace secret events_lake_s3 (
            type s3,
            key_id '{{ env_var("AWS_ACCESS_KEY_ID", "") }}',
            secret '{{ env_var("AWS_SECRET_ACCESS_KEY", "") }}',
            region '{{ env_var("AWS_REGION", env_var("AWS_DEFAULT_REGION", "us-east-1")) }}'
            {%- if endpoint %},
            endpoint '{{ endpoint.split("://")[-1].rstrip("/") }}',
            url_style 'path',
            use_ssl {{ 'true' if endpoint.startswith('https') else 'false' }}
            {%- endif %}
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{% macro events_lake_has_files(pattern) -%}
    {%- if execute -%}
        {%- do run_query(events_lake_setup()) -%}
        {%- set found = run_query("select count(*) from glob('" ~ events_lake_url() ~ "/" ~ pattern ~ "')") -%}
        {{- return(found.columns[0].values()[0] > 0) -}}
    {%- else -%}
        {{- return(true) -}}
    {%- endif -%}
{%- endmacro %}

{#- `select * from` the lake source, or a typed empty relation while the lake holds no file
    yet (read_parquet fails on an empty glob). -#}
{% macro events_lake_source(table) -%}
    {{- return(adapter.dispatch('events_lake_source')(table)) -}}
{%- endmacro %}

{% macro default__events_lake_source(table) -%}
    select * from {{ source('events_lake', table) }}
{%- endmacro %}

{% macro duckdb__events_lake_source(table) -%}
    {%- set patterns = {'events': 'events/*/*/*/*.parquet', 'quarantine': 'quarantine/*.parquet'} -%}
    {%- if events_lake_has_files(patterns[table]) -%}
        select * from {{ source('events_lake', table) }}
    {%- elif table == 'events' -%}
        select
            null::varchar as id, null::varchar as type, null::timestamp as created_at,
            null::varchar as service, null::varchar as user_id, null::varchar as attributes,
            null::varchar as meta, null::varchar as batch_id, null::varchar as source,
            null::bigint as position, null::varchar as event_type, null::varchar as date,
            null::varchar as hour
        where false
    {%- else -%}
        select
            null::varchar as source, null::bigint as position, null::varchar as raw,
            null::varchar as reason, null::varchar as batch_id, null::timestamp as quarantined_at
        where false
    {%- endif -%}
{%- endmacro %}
