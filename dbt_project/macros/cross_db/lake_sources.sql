{#- Lake sources of any domain: Parquet under a `*_LAKE_URL`, read in place on both engines.

    lake_url(var, default_rel): the lake's base URL from the setting `var` (default
      `<data dir>/<default_rel>`), spelled s3:// as DuckDB reads it.
    lake_setup(source_name, base_url, tables=none): before a model reads the lake (`tables`:
      only those it reads). DuckDB: an S3 secret from the AWS_* variables when the lake is on
      S3 (nothing for a folder), httpfs loaded from the offline extension wheels whose folder
      the orchestration passes as TRIBUTARY_DUCKDB_EXTENSIONS (tributary/duck.py: nothing is
      downloaded); Spark: the external tables (lake_tables_setup).
    lake_source(source_name, table, base_url): `select *` from the lake table, or on DuckDB a
      typed empty relation while it holds no file yet (read_parquet fails on an empty glob;
      Spark reads an empty folder as no rows). The files are found by the table's
      `meta.lake_glob`; the empty relation has the source's columns and `data_type`s. -#}

{% macro lake_url(var, default_rel) -%}
    {%- if env_var is defined -%}
        {{- env_var(var, env_var('TRIBUTARY_DATA_DIR', '../data') ~ '/' ~ default_rel) | trim | replace('s3a://', 's3://') -}}
    {%- else -%}
        {#- sqlfluff's templater has no env_var -#}
        {{- '../data/' ~ default_rel -}}
    {%- endif -%}
{%- endmacro %}

{% macro lake_setup(source_name, base_url, tables=none) -%}
    {{- return(adapter.dispatch('lake_setup')(source_name, base_url, tables)) -}}
{%- endmacro %}

{% macro default__lake_setup(source_name, base_url, tables=none) -%}
    {{- lake_tables_setup(source_name, base_url, tables) -}}
{%- endmacro %}

{% macro duckdb__lake_setup(source_name, base_url, tables=none) -%}
    {%- if base_url.startswith('s3://') -%}
        {%- set endpoint = env_var('AWS_ENDPOINT_URL_S3', env_var('AWS_ENDPOINT_URL', '')) -%}
        {%- if env_var('TRIBUTARY_DUCKDB_EXTENSIONS', '') %}
        set extension_directory = '{{ env_var("TRIBUTARY_DUCKDB_EXTENSIONS") }}';
        {%- endif %}
        load httpfs;
        create or replace secret {{ source_name }}_s3 (
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

{% macro lake_source(source_name, table, base_url) -%}
    {{- return(adapter.dispatch('lake_source')(source_name, table, base_url)) -}}
{%- endmacro %}

{% macro default__lake_source(source_name, table, base_url) -%}
    select * from {{ source(source_name, table) }}
{%- endmacro %}

{% macro duckdb__lake_source(source_name, table, base_url) -%}
    {%- set relation = source(source_name, table) -%}
    {%- if not execute -%}
        select * from {{ relation }}
    {%- else -%}
        {%- set node = graph.sources.values() | selectattr('source_name', 'equalto', source_name) | selectattr('name', 'equalto', table) | first -%}
        {%- do run_query(lake_setup(source_name, base_url)) -%}
        {%- set found = run_query("select count(*) from glob('" ~ base_url ~ "/" ~ node.meta['lake_glob'] ~ "')") -%}
        {%- if found.columns[0].values()[0] > 0 -%}
            select * from {{ relation }}
        {%- else -%}
            select
            {%- for column in node.columns.values() %}
                {{ typed_null(column.data_type) }} as {{ column.name }}{{ ',' if not loop.last }}
            {%- endfor %}
            where false
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
