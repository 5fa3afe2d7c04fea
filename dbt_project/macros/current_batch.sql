{#-
  current_batch_rows(rows, files): the rows of `rows` that belong to their file's current
  content, as a select statement (a whole model or the body of a CTE).

  A landed file is loaded again as a new batch when it is rewritten; the files manifest
  (`files`: one row per source_file with the batch_id of its current content) says which
  batch counts. `rows` is any relation with source_file and batch_id (events, quarantine,
  views); its columns pass through unchanged and in order, or only `columns` (a list of
  names, in that order) when given. A row whose file is not in the manifest is not current
  either; the manifest has one row per file, so no row is repeated.
-#}
{% macro current_batch_rows(rows, files, columns=none) -%}
    select
    {%- if columns %}
        {%- for column in columns %}
        batch_rows.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    {%- else %} batch_rows.*
    {%- endif %}
    from {{ rows }} as batch_rows
    inner join (select source_file, batch_id from {{ files }}) as current_files
        on
            batch_rows.source_file = current_files.source_file
            and batch_rows.batch_id = current_files.batch_id
{%- endmacro %}
