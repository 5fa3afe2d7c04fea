{#- The commerce lake (COMMERCE_LAKE_URL, default the data dir's lake/commerce). -#}
{% macro commerce_lake_url() -%}
    {{- lake_url('COMMERCE_LAKE_URL', 'lake/commerce') -}}
{%- endmacro %}

{% macro commerce_lake_setup() -%}
    {{- lake_setup('commerce_lake', commerce_lake_url()) -}}
{%- endmacro %}

{% macro commerce_lake_source(table) -%}
    {{- lake_source('commerce_lake', table, commerce_lake_url()) -}}
{%- endmacro %}
