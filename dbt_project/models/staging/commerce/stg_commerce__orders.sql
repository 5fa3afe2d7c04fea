-- Orders as extracted from the shop database, with normalised status and device.
{{ config(pre_hook="{{ commerce_lake_setup() }}") }}

with source as (
    select * from {{ commerce_shop_table('orders') }}
),

final as (
    select
        id as order_id,
        order_date as ordered_at,
        order_total,
        updated_at,
        lower(trim(status)) as status,
        lower(trim(device)) as device
    from source
)

select * from final
