{#-
  dbt's `where` config of generic tests, plus two placeholders for the players models, so a
  test checks what an incremental build wrote and, in a full build, everything:

  - `__players_touched_users__`: the rows of the users this build touched
    (`int_players__touched_users`) and rows without a user;
  - `__players_changed_files__`: the rows of the files whose content changed
    (`int_players__changed_files`).

  The rows of other users and files are the ones an earlier build wrote and tested. The
  placeholders are replaced here, at run time, because a test's config is rendered when the
  project is parsed. Both models are upstream of every model these tests check, so they are
  named through the graph (a `ref` here would not be a declared dependency of the test).
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and '__players_touched_users__' in where -%}
        {%- set touched = players_model_relation('int_players__touched_users') -%}
        {%- set condition = '1 = 1' if players_full_build() else
            '(user_id is null or user_id in (select touched.user_id from ' ~ touched ~ ' as touched))' -%}
        {%- set where = where | replace('__players_touched_users__', condition) -%}
    {%- endif -%}
    {%- if where and '__players_changed_files__' in where -%}
        {%- set changed = players_model_relation('int_players__changed_files') -%}
        {%- set condition = '1 = 1' if players_full_build() else
            'source_file in (select changed.source_file from ' ~ changed ~ ' as changed)' -%}
        {%- set where = where | replace('__players_changed_files__', condition) -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
