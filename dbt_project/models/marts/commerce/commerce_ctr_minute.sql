-- The CTR mart: views and purchases per (minute, platform, product), business-zone minutes.
-- Any request of GET /ctr is answered from it (sum views and purchases over the bucket).
{{ config(alias='ctr_minute') }}

with view_counts as (
    select
        platform,
        product,
        {{ trunc_to('minute', 'viewed_at') }} as minute_at,
        count(*) as n
    from {{ ref('stg_commerce__views') }}
    group by 1, 2, 3
),

purchase_counts as (
    select
        platform,
        product,
        purchase_minute as minute_at,
        count(*) as n
    from {{ ref('int_commerce__purchases') }}
    group by 1, 2, 3
),

final as (
    select
        coalesce(view_counts.minute_at, purchase_counts.minute_at) as minute_at,
        coalesce(view_counts.platform, purchase_counts.platform) as platform,
        coalesce(view_counts.product, purchase_counts.product) as product,
        {{ cast_as('coalesce(view_counts.n, 0)', 'bigint') }} as views,  -- noqa: RF04
        {{ cast_as('coalesce(purchase_counts.n, 0)', 'bigint') }} as purchases
    from view_counts
    full outer join purchase_counts
        on
            view_counts.minute_at = purchase_counts.minute_at
            and view_counts.platform = purchase_counts.platform
            and view_counts.product = purchase_counts.product
)

select * from final
