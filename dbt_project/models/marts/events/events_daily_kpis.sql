-- The same KPI definitions as `python -m loaders.events kpis` (loaders/events/kpis.py), which
-- computes them straight from the lake without a warehouse (the ratio rounded half up on the
-- exact fraction by both).
with

type_counts as (
    select * from {{ ref('events_daily_type_counts') }}
),

dau as (
    select * from {{ ref('events_daily_active_users') }}
),

per_day as (
    select
        event_date,
        sum(events) as events,
        count(*) as event_types,
        sum(events) filter (where event_type = 'product_sold') as products_sold,
        sum(events) filter (where event_type = 'product_favorited') as product_favorites,
        sum(events) filter (where event_type = 'product_contacted') as product_contacts,
        sum(events) filter (where event_type = 'user_created') as new_users
    from type_counts
    group by event_date
),

final as (
    select
        per_day.event_date,
        {{ cast_as('per_day.events', 'bigint') }} as events,
        {{ cast_as('per_day.event_types', 'bigint') }} as event_types,
        {{ cast_as('coalesce(dau.active_users, 0)', 'bigint') }} as active_users,
        {{ cast_as('coalesce(per_day.products_sold, 0)', 'bigint') }} as products_sold,
        {{ cast_as('coalesce(per_day.product_favorites, 0)', 'bigint') }} as product_favorites,
        {{ cast_as('coalesce(per_day.product_contacts, 0)', 'bigint') }} as product_contacts,
        {{ cast_as('coalesce(per_day.new_users, 0)', 'bigint') }} as new_users,
        {{ ratio_half_up('dau.events_with_user', 'dau.active_users') }} as events_per_active_user
    from per_day
    left join dau on per_day.event_date = dau.event_date
)

select * from final
