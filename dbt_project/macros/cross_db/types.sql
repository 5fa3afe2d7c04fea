{#- Engine differences, one macro per concept (adapter.dispatch: duckdb__ / spark__ / default__).
    Models call these instead of engine-specific syntax, so one model runs on both targets. -#}

{#- A type name in the target's spelling: `timestamp` means a UTC wall-clock timestamp without
    time zone on both engines (Spark's `timestamp` carries the session time zone). -#}
{% macro type_name(name) -%}
    {{- return(adapter.dispatch('type_name')(name)) -}}
{%- endmacro %}

{% macro default__type_name(name) -%}
    {{- return(name) -}}
{%- endmacro %}

{% macro spark__type_name(name) -%}
    {{- return({'timestamp': 'timestamp_ntz', 'varchar': 'string', 'text': 'string'}.get(name | lower, name)) -}}
{%- endmacro %}

{#- cast(expr as type), with the type spelled for the target. -#}
{% macro cast_as(expr, name) -%}
    cast({{ expr }} as {{ type_name(name) }})
{%- endmacro %}

{#- A cast that yields null for a value that does not convert. Spark 4 runs in ANSI mode by
    default, where a plain cast raises instead; both engines spell the safe one try_cast. -#}
{% macro safe_cast(expr, name) -%}
    {{- return(adapter.dispatch('safe_cast')(expr, name)) -}}
{%- endmacro %}

{% macro default__safe_cast(expr, name) -%}
    try_cast({{ expr }} as {{ type_name(name) }})
{%- endmacro %}

{#- A typed null (empty relations, placeholder columns). -#}
{% macro typed_null(name) -%}
    cast(null as {{ type_name(name) }})
{%- endmacro %}

{#- Aggregate: the values of `expr` as a list in ascending order (nulls dropped). -#}
{% macro sorted_list(expr) -%}
    {{- return(adapter.dispatch('sorted_list')(expr)) -}}
{%- endmacro %}

{% macro default__sorted_list(expr) -%}
    array_sort(collect_list({{ expr }}))
{%- endmacro %}

{% macro duckdb__sorted_list(expr) -%}
    list({{ expr }} order by {{ expr }})
{%- endmacro %}

{#- An empty list of `name` items. -#}
{% macro empty_list(name) -%}
    {{- return(adapter.dispatch('empty_list')(name)) -}}
{%- endmacro %}

{% macro default__empty_list(name) -%}
    cast(array() as array<{{ type_name(name) }}>)
{%- endmacro %}

{% macro duckdb__empty_list(name) -%}
    []
{%- endmacro %}
