-- Orders as extracted from the shop database, with normalised status and device.
with source as (
    select * from {{ source('commerce_shop', 'orders') }}
),

final as (
    select
        id as order_id,
        order_date as ordered_at,
        lower(trim(status)) as status,
        lower(trim(device)) as device,
        order_total,
        updated_at
    from source
)

select * from final
