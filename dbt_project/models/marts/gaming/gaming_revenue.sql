-- The seed's table `revenue`: total spend per user as exact decimal text with two decimals.
{{ config(alias='revenue') }}

with events as (
    select * from {{ ref('int_gaming__current_events') }}
),

totals as (
    select
        user_id,
        -- DECIMAL arithmetic: "1.99" + "9.99" is exactly 11.98, never 11.979999…
        coalesce(sum(spend_amount), 0) as total_spend_amount
    from events
    group by user_id
),

final as (
    select
        user_id as "user",
        -- Half away from zero to cents, then text with exactly two decimals.
        cast(cast(round(total_spend_amount, 2) as decimal(38, 2)) as varchar) as total_spend
    from totals
)

select * from final
