{#- Generic test: every non-null value of the column fully matches the regular expression. -#}
{% test text_matches(model, column_name, pattern) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and not {{ full_match(column_name, pattern) }}
{% endtest %}

{#- `expr` fully matches the regular expression `pattern` (a Python string). -#}
{% macro full_match(expr, pattern) -%}
    {{- return(adapter.dispatch('full_match')(expr, pattern)) -}}
{%- endmacro %}

{% macro default__full_match(expr, pattern) -%}
    ({{ expr }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro duckdb__full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, '{{ pattern }}')
{%- endmacro %}
