-- Items bought, one row per order_items row of the shop database.
{{ config(pre_hook="{{ commerce_lake_setup() }}") }}

with source as (
    select * from {{ commerce_shop_table('order_items') }}
),

final as (
    select
        order_id,
        item_number,
        code_color as product,
        price,
        updated_at
    from source
)

select * from final
