{#- Lake sources on Spark: each table of a dbt source becomes an external Parquet table of the
    metastore over the lake folder, re-created on every build so that it follows the configured
    URL. Its columns are the source's `data_type`s, its location `<base_url>/<meta.lake_path>`,
    its partition columns `meta.partitioned_by` (hive folders, listed when read: the profile
    sets spark.sql.hive.manageFilesourcePartitions=false); a table without `meta.lake_path` (the
    JSON commit records) is not a Parquet table and is skipped. On DuckDB the same sources are
    read_parquet() globs (`meta.external_location`); nothing to create. -#}
{% macro lake_tables_setup(source_name, base_url) -%}
    {{- return(adapter.dispatch('lake_tables_setup')(source_name, base_url)) -}}
{%- endmacro %}

{% macro default__lake_tables_setup(source_name, base_url) -%}
    select 1
{%- endmacro %}

{% macro spark__lake_tables_setup(source_name, base_url) -%}
    {%- if execute -%}
        {%- set url = base_url | replace('s3://', 's3a://') -%}
        {%- do run_query('create schema if not exists ' ~ source_name) -%}
        {%- for node in graph.sources.values() if node.source_name == source_name and node.meta.get('lake_path') -%}
            {%- set parts = node.meta.get('partitioned_by', []) -%}
            {%- set columns = [] -%}
            {%- for column in node.columns.values() if column.name not in parts -%}
                {%- do columns.append(column.name ~ ' ' ~ type_name(column.data_type)) -%}
            {%- endfor -%}
            {%- for part in parts -%}
                {%- do columns.append(part ~ ' string') -%}
            {%- endfor -%}
            {%- set table = source_name ~ '.' ~ node.name -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {%- do run_query(
                'create table ' ~ table ~ ' (' ~ columns | join(', ') ~ ') using parquet'
                ~ (' partitioned by (' ~ parts | join(', ') ~ ')' if parts else '')
                ~ " location '" ~ url ~ '/' ~ node.meta['lake_path'] ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- What a model reading a lake runs first (its pre-hook): Spark: the external tables above;
    DuckDB: S3 access from the AWS_* variables when the lake is on S3 (the sources are globs);
    httpfs comes from the offline extension wheels, whose folder the orchestration passes as
    TRIBUTARY_DUCKDB_EXTENSIONS (tributary/duck.py: nothing is downloaded). -#}
{% macro lake_setup(source_name, base_url) -%}
    {{- return(adapter.dispatch('lake_setup')(source_name, base_url)) -}}
{%- endmacro %}

{% macro default__lake_setup(source_name, base_url) -%}
    {{- lake_tables_setup(source_name, base_url) -}}
{%- endmacro %}

{% macro duckdb__lake_setup(source_name, base_url) -%}
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

{#- DuckDB: whether `base_url/pattern` matches any file yet (read_parquet fails on an empty
    glob, so a lake source falls back to a typed empty relation; Spark reads an empty folder
    as no rows). -#}
{% macro lake_has_files(source_name, base_url, pattern) -%}
    {%- if execute -%}
        {%- do run_query(duckdb__lake_setup(source_name, base_url)) -%}
        {%- set found = run_query("select count(*) from glob('" ~ base_url ~ "/" ~ pattern ~ "')") -%}
        {{- return(found.columns[0].values()[0] > 0) -}}
    {%- else -%}
        {{- return(true) -}}
    {%- endif -%}
{%- endmacro %}
