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
