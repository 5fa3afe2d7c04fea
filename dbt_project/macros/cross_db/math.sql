{#- Arithmetic both engines must answer identically. -#}

{#- num / den rounded half up to `places` decimals, as a double; null when den is 0 or null.
    Computed on the exact rational (integer arithmetic through floor), so both engines agree
    where rounding a binary double would differ (DuckDB and Spark round 0.145 differently). -#}
{% macro ratio_half_up(num, den, places=2) -%}
    {%- set scale = 10 ** places -%}
    cast(
        floor((2 * {{ scale }} * ({{ num }}) + ({{ den }})) / (2 * nullif({{ den }}, 0)))
        / {{ scale }}.0 as double
    )
{%- endmacro %}

{#- Integer division of two integers (truncating), as the target spells it. -#}
{% macro int_div(num, den) -%}
    {{- return(adapter.dispatch('int_div')(num, den)) -}}
{%- endmacro %}

{% macro default__int_div(num, den) -%}
    ({{ num }} div {{ den }})
{%- endmacro %}

{% macro duckdb__int_div(num, den) -%}
    ({{ num }} // {{ den }})
{%- endmacro %}
