{#-
  How a players build knows what changed since the last complete build.

  Every rule and figure of the players domain is per user except duplicate event ids (global:
  the first occurrence in input order wins) and the season (the median event time of all
  events). A build therefore recomputes only the users a change can reach (see
  `int_players__touched_users`), and the last model of the build, `int_players__applied_state`,
  records what that build applied: the manifest (file → batch), the season's median and the
  time zones. The first models of the next build compare the inputs with that record. It is
  written last on purpose, so a build that fails half-way leaves the record as it was and the
  next build redoes the same changes (every incremental step is a delete + insert by key:
  re-running it gives the same rows).

  The record is read by name, not with `ref()`: it is downstream of every model that reads it.
-#}

{#- The relation a model of this project builds, looked up in the graph (not a `ref`). -#}
{% macro players_model_relation(name) -%}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ name] -%}
    {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}

{#- The relation of the applied-state record, or none when no build completed yet. -#}
{% macro players_applied_state() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.int_players__applied_state'] -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}

{#- True when this build recomputes everything: `--full-refresh`, or no build completed yet
    (nothing to compare with), or on Spark, where every build is a full one (the marts are
    Parquet tables rebuilt whole: `incremental_on_duckdb`). Then the touched sets are not used
    and every intermediate model reads all current events. -#}
{% macro players_full_build() -%}
    {{ return(adapter.dispatch('players_full_build')()) }}
{%- endmacro %}

{% macro default__players_full_build() -%}
    {{ return((flags is defined and flags.FULL_REFRESH) or players_applied_state() is none) }}
{%- endmacro %}

{% macro spark__players_full_build() -%}
    {{ return(true) }}
{%- endmacro %}

{#- The user ids an events relation names (user, home and away side), one row each, with
    `extra_columns` of the event kept beside. -#}
{% macro players_named_users(events, extra_columns=[]) -%}
    {%- set extra = (', ' ~ extra_columns | join(', ')) if extra_columns else '' -%}
    select user_id{{ extra }} from {{ events }} where user_id is not null
    union all
    select home_user_id as user_id{{ extra }} from {{ events }} where home_user_id is not null
    union all
    select away_user_id as user_id{{ extra }} from {{ events }} where away_user_id is not null
{%- endmacro %}

{#- The current events this build evaluates (a select statement): all of them in a full build,
    else those of the working set (`int_players__working_set`). -#}
{% macro players_working_events() -%}
    {%- if players_full_build() %}
    select * from {{ ref('int_players__current_events') }}
    {%- else %}
    select events.*
    from {{ ref('int_players__current_events') }} as events
    inner join {{ ref('int_players__working_set') }} as working
        on events.source_file = working.source_file and events.line_number = working.line_number
    {%- endif %}
{%- endmacro %}

{#- Pre-hook of a per-user incremental mart that does not read its own rows: in an incremental
    build, delete every row of the touched users (the model then inserts their rows again);
    in a full build of an existing table, every row. -#}
{% macro players_delete_touched_users() -%}
    {%- if is_incremental() and players_full_build() %}
    delete from {{ this }}
    {%- elif is_incremental() %}
    delete from {{ this }}
    where user_id in (select touched.user_id from {{ ref('int_players__touched_users') }} as touched)
    {%- else %}
    select 1
    {%- endif %}
{%- endmacro %}

{#- Post-hook of a per-user incremental mart built with delete + insert on user_id: delete the
    rows of the touched users who have no row in `fresh` any more (a relation naming users in
    `user_columns`); the users it has were replaced by the delete + insert itself. -#}
{% macro players_delete_vanished_users(fresh, user_columns) -%}
    {%- if is_incremental() %}
    delete from {{ this }}
    where
        user_id in (select touched.user_id from {{ ref('int_players__touched_users') }} as touched)
        {%- for column in user_columns %}
        and user_id not in (
            select fresh.{{ column }} from {{ fresh }} as fresh where fresh.{{ column }} is not null
        )
        {%- endfor %}
    {%- else %}
    select 1
    {%- endif %}
{%- endmacro %}

{#- Pre-hook of `int_players__current_events`: in an incremental build, delete the rows of the
    files whose content changed (and, when given, the rows matching `or_also`, a condition on
    `this`); in a full build of an existing table, every row. -#}
{% macro players_delete_changed_rows(or_also=none) -%}
    {%- if is_incremental() and players_full_build() %}
    delete from {{ this }}
    {%- elif is_incremental() %}
    delete from {{ this }}
    where
        source_file in (
            select changed.source_file from {{ ref('int_players__changed_files') }} as changed
        )
        {%- if or_also %}
        or {{ or_also }}
        {%- endif %}
    {%- else %}
    select 1
    {%- endif %}
{%- endmacro %}

{#- Pre-hook of `players_quarantine`: `players_delete_changed_rows`, and also the rows of the
    events this build evaluated again (`int_players__working_set`) unless the build discarded
    the event by the same rule again (such a row stays exactly as it is: same file content,
    same line). -#}
{% macro players_delete_changed_quarantine() -%}
    {%- set evaluated_again -%}
    exists (
            select 1
            from {{ ref('int_players__working_set') }} as working
            where
                working.source_file = {{ this.identifier }}.source_file
                and working.line_number = {{ this.identifier }}.line_number
                and not exists (
                    select 1
                    from {{ ref('int_players__rejected_events') }} as rejected
                    where
                        rejected.source_file = {{ this.identifier }}.source_file
                        and rejected.line_number = {{ this.identifier }}.line_number
                        and rejected.rule = {{ this.identifier }}.rule
                )
        )
    {%- endset %}
    {{- players_delete_changed_rows(evaluated_again) }}
{%- endmacro %}

{#- The batches whose raw lines `players_quarantine` inserts in an incremental build, as a SQL
    list of literals (so the filter on the raw table reaches its scan and zone maps): those of
    the changed files, and those of the discarded events without a row with the same rule.
    Rendered when the model is compiled, before its pre-hook runs. -#}
{% macro players_quarantine_batches() -%}
    {%- set ids = [] -%}
    {%- if execute -%}
        {%- set result = run_query(
            'select batch_id from ' ~ ref('int_players__changed_files')
            ~ ' where batch_id is not null'
            ~ ' union select rejected.batch_id from ' ~ ref('int_players__rejected_events')
            ~ ' as rejected where not exists (select 1 from ' ~ this ~ ' as kept'
            ~ ' where kept.source_file = rejected.source_file'
            ~ ' and kept.line_number = rejected.line_number and kept.rule = rejected.rule)'
            ~ ' order by 1'
        ) -%}
        {%- set ids = result.columns[0].values() -%}
    {%- endif -%}
    {{ players_sql_list(ids) }}
{%- endmacro %}

{#- `values` as a parenthesised SQL list of string literals (`(null)` when empty). -#}
{% macro players_sql_list(values) -%}
    {%- if values | length == 0 -%}
        (null)
    {%- else -%}
        ({%- for value in values -%}'{{ value | replace("'", "''") }}'{{ ', ' if not loop.last }}{%- endfor -%})
    {%- endif -%}
{%- endmacro %}

{#- The batch ids of `column` (batch_id or previous_batch_id) in `int_players__changed_files`,
    as a SQL list of literals, so the filter on the raw events reaches the table scan (and
    its zone maps) instead of a join above the JSON parsing. -#}
{% macro players_changed_batches(column) -%}
    {%- set ids = [] -%}
    {%- if execute -%}
        {%- set result = run_query(
            'select distinct ' ~ column ~ ' from ' ~ ref('int_players__changed_files')
            ~ ' where ' ~ column ~ ' is not null order by 1'
        ) -%}
        {%- set ids = result.columns[0].values() -%}
    {%- endif -%}
    {{ players_sql_list(ids) }}
{%- endmacro %}

{#- In an incremental build, a where clause keeping the rows of the touched users only. -#}
{% macro players_where_touched(column='user_id') -%}
    {%- if is_incremental() %}
    where {{ column }} in (select touched.user_id from {{ ref('int_players__touched_users') }} as touched)
    {%- endif %}
{%- endmacro %}

{#- The `refreshed_at` column of a daily mart (`day_figures` left-joined to the built rows as
    `built`): a row whose `figures` all equal the built row's keeps its time; any other row, and
    every row of a full build, gets the build's. -#}
{% macro players_refreshed_at(figures) -%}
    {%- if is_incremental() -%}
    case
        when
            {%- for figure in figures %}
            {{ "and " if not loop.first }}built.{{ figure }} = day_figures.{{ figure }}
            {%- endfor %}
            then built.refreshed_at
        else current_timestamp
    end as refreshed_at
    {%- else -%}
    current_timestamp as refreshed_at
    {%- endif -%}
{%- endmacro %}
