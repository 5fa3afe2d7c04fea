-- The CTR mart: views and purchases per (minute, platform, product), business-zone minutes.
-- Any request of GET /ctr is answered from it (sum views and purchases over the bucket).
{{ config(alias='ctr_minute') }}

with views as (
    select
        platform,
        product,
        date_trunc('minute', viewed_at) as minute,
        count(*) as n
    from {{ ref('stg_commerce__views') }}
    group by 1, 2, 3
),

purchases as (
    select
        platform,
        product,
        purchase_minute as minute,
        count(*) as n
    from {{ ref('int_commerce__purchases') }}
    group by 1, 2, 3
),

final as (
    select
        coalesce(views.minute, purchases.minute) as minute,
        coalesce(views.platform, purchases.platform) as platform,
        coalesce(views.product, purchases.product) as product,
        coalesce(views.n, 0)::bigint as views,
        coalesce(purchases.n, 0)::bigint as purchases
    from views
    full outer join purchases
        on
            views.minute = purchases.minute
            and views.platform = purchases.platform
            and views.product = purchases.product
)

select * from final
