{#- The days whose per-user figures differ between `fresh` (a CTE of user_id, "date" and the
    figures) and the incremental model as built: a user row added, removed or with another
    value in any of `value_columns`. Used by the by-day incremental players marts. -#}
{% macro players_changed_days(fresh, value_columns) -%}
    select distinct coalesce(fresh."date", built."date") as "date"
    from {{ fresh }} as fresh
    full outer join {{ this }} as built
        on fresh.user_id = built.user_id and fresh."date" = built."date"
    where
        fresh.user_id is null
        or built.user_id is null
        {%- for column in value_columns %}
            or fresh.{{ column }} != built.{{ column }}
        {%- endfor %}
{%- endmacro %}
