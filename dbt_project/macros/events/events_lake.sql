{#- The events lake: its URL (EVENTS_LAKE_URL, default the data dir's lake/events), its setup
    before a model reads it (DuckDB: S3 access from the AWS_* variables; Spark: the external
    tables, see cross_db/lake_tables.sql), and whether it holds any file yet (an empty glob
    would fail DuckDB's read_parquet; Spark reads an empty folder as no rows). -#}

{% macro events_lake_url() -%}
    {{- env_var('EVENTS_LAKE_URL', env_var('TRIBUTARY_DATA_DIR', '../data') ~ '/lake/events') | trim | replace('s3a://', 's3://') -}}
{%- endmacro %}

{% macro events_lake_setup() -%}
    {{- lake_setup('events_lake', events_lake_url()) -}}
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
    {%- set patterns = {'events': 'events/*/*/*/*.parquet', 'quarantine': 'quarantine/*.parquet', 'batches': '_batches/*.json'} -%}
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
    {%- elif table == 'batches' -%}
        select null::varchar as batch_id, null::varchar as committed_at, null::varchar[][] as partitions
        where false
    {%- else -%}
        select
            null::varchar as source, null::bigint as position, null::varchar as raw,
            null::varchar as reason, null::varchar as batch_id, null::timestamp as quarantined_at
        where false
    {%- endif -%}
{%- endmacro %}
