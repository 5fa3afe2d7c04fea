-- Items bought, attributed to their order's platform and minute; only qualifying purchases:
-- the order exists, its status counts as a purchase and its device maps to a platform
-- (rules in macros/commerce/commerce_rules.sql).
with items as (
    select * from {{ ref('stg_commerce__order_items') }}
),

orders as (
    select * from {{ ref('stg_commerce__orders') }}
),

attributed as (
    select
        items.order_id,
        items.item_number,
        items.product,
        orders.status,
        orders.device,
        orders.ordered_at,
        {{ commerce_platform('orders.device') }} as platform,
        {{ commerce_is_purchase('orders.status') }} as counts_as_purchase
    from items
    inner join orders on items.order_id = orders.order_id
),

final as (
    select
        order_id,
        item_number,
        product,
        status,
        device,
        platform,
        ordered_at,
        {{ trunc_to('minute', 'ordered_at') }} as purchase_minute
    from attributed
    where counts_as_purchase and platform is not null
)

select * from final
