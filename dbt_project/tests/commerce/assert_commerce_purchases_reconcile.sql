-- Purchases in the mart = qualifying order_items in the source (recomputed from the sources,
-- not from the intermediate model), and views in the mart = product views of current files.
with source_items as (
    select
        items.order_id,
        orders.status,
        orders.device
    from {{ commerce_shop_table('order_items') }} as items
    inner join {{ commerce_shop_table('orders') }} as orders on items.order_id = orders.id
),

expected_purchases as (
    select count(*) as n
    from source_items
    where
        {{ commerce_is_purchase('status') }}
        and {{ commerce_platform('device') }} is not null
),

expected_views as (
    select coalesce(sum(product_views), 0) as n
    from {{ ref('stg_commerce__view_files') }}
),

mart as (
    select
        coalesce(sum(purchases), 0) as mart_purchases,
        coalesce(sum(views), 0) as mart_views
    from {{ ref('commerce_ctr_minute') }}
),

final as (
    select
        mart.mart_purchases,
        expected_purchases.n as expected_purchases,
        mart.mart_views,
        expected_views.n as expected_views
    from mart
    cross join expected_purchases
    cross join expected_views
)

select * from final
where mart_purchases <> expected_purchases or mart_views <> expected_views
