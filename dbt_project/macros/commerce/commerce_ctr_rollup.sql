{#-
  commerce_ctr_rollup(minutes): GET /ctr's minute table summed to a coarser grain of
  `minutes` (60: hours, 1440: days). `minute_idx` becomes the index of the period's first
  minute, so the API's bucket arithmetic is the same on every grain; a request whose start,
  end and aggregation are whole periods gets the same answer from far fewer rows.
-#}
{% macro commerce_ctr_rollup(minutes) -%}
with minutes as (
    select * from {{ ref('commerce_ctr_series_minute') }}
),

final as (
    select
        series_id,
        {{ cast_as(int_div('minute_idx', minutes) ~ ' * ' ~ minutes, 'integer') }} as minute_idx,
        {{ cast_as('sum(views)', 'integer') }} as views,  -- noqa: RF04
        {{ cast_as('sum(purchases)', 'integer') }} as purchases
    from minutes
    group by 1, 2
)

select * from final
{%- endmacro %}
