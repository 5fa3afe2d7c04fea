{#- The players lake (PLAYERS_LAKE_URL, default the data dir's lake/players): the valid lines of
    every load, `events/event_date=…/batch_id=…/part-0.parquet` (loaders/players/lake.py). The
    source `players_raw.events` reads it: DuckDB as a read_parquet glob (pruned by batch_id
    from the path), Spark as an external table (lake_tables_setup). -#}

{% macro players_lake_url() -%}
    {{- lake_url('PLAYERS_LAKE_URL', 'lake/players') -}}
{%- endmacro %}

{% macro players_lake_setup() -%}
    {{- lake_setup('players_raw', players_lake_url()) -}}
{%- endmacro %}

{#- `select * from` the lake's events, or on DuckDB a typed empty relation while the lake holds
    no file yet (lake_source). -#}
{% macro players_lake_events() -%}
    {{- lake_source('players_raw', 'events', players_lake_url()) -}}
{%- endmacro %}
