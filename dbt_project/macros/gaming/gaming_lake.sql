{#- The gaming lake (GAMING_LAKE_URL, default the data dir's lake/gaming): every line of every
    load, `events/batch_id=…/part-0.parquet` (loaders/gaming/lake.py). The warehouse view
    `gaming_raw.events` reads its valid lines in place; on an S3 lake a reader needs the secret
    this sets up first (DuckDB only: gaming is not built on Spark). -#}

{% macro gaming_lake_setup() -%}
    {{- lake_setup('gaming_raw', lake_url('GAMING_LAKE_URL', 'lake/gaming')) -}}
{%- endmacro %}
