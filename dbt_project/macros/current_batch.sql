{#-
  current_batch_rows(rows, files): the rows of `rows` that belong to their file's current
  content, as a select statement (a whole model or the body of a CTE).

  A landed file is loaded again as a new batch when it is rewritten; the files manifest
  (`files`: one row per source_file with the batch_id of its current content) says which
  batch counts. `rows` is any relation with source_file and batch_id (events, quarantine,
  views); its columns pass through unchanged and in order, so the caller selects or derives
  the ones it serves. An inner join, not a filter: a row whose file is not in the manifest
  (yet) is not current either.
-#}
{% macro current_batch_rows(rows, files) -%}
    select batch_rows.*
    from {{ rows }} as batch_rows
    inner join (select source_file, batch_id from {{ files }}) as current_files
        on
            batch_rows.source_file = current_files.source_file
            and batch_rows.batch_id = current_files.batch_id
{%- endmacro %}
