{#- Generic test: every non-null value of the column fully matches the regular expression. -#}
{% test text_matches(model, column_name, pattern) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and not regexp_full_match({{ column_name }}, '{{ pattern }}')
{% endtest %}
