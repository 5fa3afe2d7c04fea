{#- JSON held as text: DuckDB has a JSON type, Spark keeps the text and parses on access. -#}

{#- The text `expr` as the target's JSON value. -#}
{% macro json_value(expr) -%}
    {{- return(adapter.dispatch('json_value')(expr)) -}}
{%- endmacro %}

{% macro default__json_value(expr) -%}
    {{ expr }}
{%- endmacro %}

{% macro duckdb__json_value(expr) -%}
    cast({{ expr }} as json)
{%- endmacro %}

{#- A scalar field of a JSON object as text (null when missing); `path` like '$.user_id'. -#}
{% macro json_text(expr, path) -%}
    {{- return(adapter.dispatch('json_text')(expr, path)) -}}
{%- endmacro %}

{% macro default__json_text(expr, path) -%}
    get_json_object({{ expr }}, '{{ path }}')
{%- endmacro %}

{% macro duckdb__json_text(expr, path) -%}
    json_extract_string({{ expr }}, '{{ path }}')
{%- endmacro %}

{#- A text value as a JSON string literal (quoted and escaped), as text. -#}
{% macro json_string(expr) -%}
    {{- return(adapter.dispatch('json_string')(expr)) -}}
{%- endmacro %}

{% macro default__json_string(expr) -%}
    regexp_extract(to_json(named_struct('v', {{ expr }})), '^\\{"v":(.*)\\}$', 1)
{%- endmacro %}

{% macro duckdb__json_string(expr) -%}
    cast(to_json({{ expr }}) as varchar)
{%- endmacro %}
