-- The (platform, product) series of GET /ctr: a dense `series_id` in (platform, product)
-- order, which is the response order within a bucket, and the constant middle part of each
-- response entry (`","platform":"iOS","product":"…","CTR":`), JSON-escaped once here instead
-- of once per entry per request.
{{ config(alias='ctr_series') }}

with series as (
    select distinct
        platform,
        product
    from {{ ref('commerce_ctr_minute') }}
),

final as (
    select
        platform,
        product,
        {{ cast_as('row_number() over (order by platform, product)', 'integer') }} as series_id,
        '","platform":' || {{ json_string('platform') }} || ',"product":'
        || {{ json_string('product') }} || ',"CTR":'
            as entry_middle
    from series
)

select * from final
