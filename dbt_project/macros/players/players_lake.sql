{#- The players lake (PLAYERS_LAKE_URL, default the data dir's lake/players,
    loaders/players/lake.py): the valid lines of every load
    (`events/event_date=…/batch_id=…/part-0.parquet`), the load quarantine, the load records
    and the time zones. The sources `players_raw.*` read it: DuckDB as read_parquet globs (the
    events pruned by batch_id from the path), Spark as external tables (lake_tables_setup). -#}

{% macro players_lake_url() -%}
    {{- lake_url('PLAYERS_LAKE_URL', 'lake/players') -}}
{%- endmacro %}

{% macro players_lake_setup(tables=none) -%}
    {{- lake_setup('players_raw', players_lake_url(), tables) -}}
{%- endmacro %}

{#- `select * from` a table of the lake, or on DuckDB a typed empty relation while the lake
    holds no file of it yet (lake_source). -#}
{% macro players_lake_source(table) -%}
    {{- lake_source('players_raw', table, players_lake_url()) -}}
{%- endmacro %}
