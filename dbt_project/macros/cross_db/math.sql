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

{#- A double rounded to `places` decimals as DuckDB's round does it (x · 10^places rounded half
    away from zero on the binary value, divided back): Spark's round of a double rounds its
    decimal text half up instead (round(0.145, 2): DuckDB 0.14, Spark 0.15). -#}
{% macro round_double(expr, places) -%}
    {{- return(adapter.dispatch('round_double')(expr, places)) -}}
{%- endmacro %}

{% macro default__round_double(expr, places) -%}
    (round(({{ expr }}) * {{ 10 ** places }}) / {{ 10 ** places }})
{%- endmacro %}

{% macro duckdb__round_double(expr, places) -%}
    round({{ expr }}, {{ places }})
{%- endmacro %}
