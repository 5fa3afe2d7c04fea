{#- The UTC days an incremental events mart must rewrite: the days of the partitions (of
    `types`, or of any type) written by batches committed at or after the newest commit the
    mart has already consumed (`lake_committed_through`). Re-reading a day twice is harmless
    (delete+insert), so `>=` errs on the safe side. -#}
{% macro events_touched_days(types=none) -%}
    select distinct event_date
    from {{ ref('stg_events__batches') }}
    where committed_at >= (
        select coalesce(max(lake_committed_through), '-infinity'::timestamptz) from {{ this }}
    )
    {%- if types %}
        and event_type in ({% for t in types %}'{{ t }}'{{ ", " if not loop.last }}{% endfor %})
    {%- endif %}
{%- endmacro %}

{#- The newest commit a build reads: stored on the rows it writes. Spark rebuilds these marts
    whole and does not read the commit records (`stg_events__batches`): null there. -#}
{% macro events_lake_committed_through() -%}
    {{- return(adapter.dispatch('events_lake_committed_through')()) -}}
{%- endmacro %}

{% macro default__events_lake_committed_through() -%}
    (select max(committed_at) from {{ ref('stg_events__batches') }})
{%- endmacro %}

{% macro spark__events_lake_committed_through() -%}
    cast(null as timestamp)
{%- endmacro %}
