{#- Generic test: no row of the model satisfies `condition` (a SQL boolean expression). -#}
{% test no_rows_where(model, condition, column_name=none) %}
select *
from {{ model }}
where {{ condition }}
{% endtest %}
