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
