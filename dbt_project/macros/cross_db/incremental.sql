{#- The config of a mart rebuilt one partition at a time: an incremental run writes only the
    partitions (values of `partition`) its query returns and keeps every other one.
    DuckDB: delete+insert keyed on the partition column. Spark: Parquet table partitioned by
    it, insert_overwrite (dynamic partition overwrite). Use as
    {{ config(**partition_overwrite_config('event_date')) }}. -#}
{% macro partition_overwrite_config(partition) -%}
    {{- return(adapter.dispatch('partition_overwrite_config')(partition)) -}}
{%- endmacro %}

{% macro default__partition_overwrite_config(partition) -%}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': partition,
        'on_schema_change': 'fail',
    }) -}}
{%- endmacro %}

{% macro spark__partition_overwrite_config(partition) -%}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': [partition],
        'file_format': 'parquet',
        'on_schema_change': 'fail',
    }) -}}
{%- endmacro %}

{#- A model's own config (`config`: a dict, its hooks included) on DuckDB, where it is built
    incrementally (e.g. reading only what the lake committed since the last build); on Spark
    a Parquet table rebuilt whole by every build, without the incremental keys and the hooks
    (they delete rows of the table, which Parquet tables do not support), plus `spark` (e.g.
    its `partition_by`). Both give the same rows. Use as
    {{ config(**incremental_on_duckdb({...})) }}. -#}
{% macro incremental_on_duckdb(config, spark={}) -%}
    {{- return(adapter.dispatch('incremental_on_duckdb')(config, spark)) -}}
{%- endmacro %}

{% macro default__incremental_on_duckdb(config, spark) -%}
    {{- return(config) -}}
{%- endmacro %}

{% macro spark__incremental_on_duckdb(config, spark) -%}
    {%- set dropped = ['materialized', 'incremental_strategy', 'unique_key', 'on_schema_change', 'pre_hook', 'post_hook'] -%}
    {%- set table = {'materialized': 'table', 'file_format': 'parquet'} -%}
    {%- for key, value in config.items() if key not in dropped -%}
        {%- do table.update({key: value}) -%}
    {%- endfor -%}
    {%- do table.update(spark) -%}
    {{- return(table) -}}
{%- endmacro %}
