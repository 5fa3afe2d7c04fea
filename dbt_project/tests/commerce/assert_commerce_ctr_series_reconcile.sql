-- The /ctr serving tables say what `ctr_minute` says: series ids are 1..n, and every
-- (platform, product) has the same view and purchase totals in `ctr_minute` and in each of
-- the minute, hour and day tables of its series.
with series as (
    select * from {{ ref('commerce_ctr_series') }}
),

mart_totals as (
    select
        platform,
        product,
        sum(views) as view_total,
        sum(purchases) as purchase_total
    from {{ ref('commerce_ctr_minute') }}
    group by 1, 2
),

grain_rows as (
    select
        'minute' as grain,
        series_id,
        views,
        purchases
    from {{ ref('commerce_ctr_series_minute') }}
    union all
    select
        'hour' as grain,
        series_id,
        views,
        purchases
    from {{ ref('commerce_ctr_series_hour') }}
    union all
    select
        'day' as grain,
        series_id,
        views,
        purchases
    from {{ ref('commerce_ctr_series_day') }}
),

grain_totals as (
    select
        grains.grain,
        series.platform,
        series.product,
        sum(grain_rows.views) as view_total,
        sum(grain_rows.purchases) as purchase_total
    from (values ('minute'), ('hour'), ('day')) as grains (grain)
    cross join series
    left join grain_rows
        on grains.grain = grain_rows.grain and series.series_id = grain_rows.series_id
    group by 1, 2, 3
),

total_mismatches as (
    select
        coalesce(grain_totals.grain, 'no series') as problem,
        coalesce(grain_totals.platform, mart_totals.platform) as platform,
        coalesce(grain_totals.product, mart_totals.product) as product
    from grain_totals
    full outer join mart_totals
        on grain_totals.platform = mart_totals.platform and grain_totals.product = mart_totals.product
    where
        grain_totals.view_total is distinct from mart_totals.view_total
        or grain_totals.purchase_total is distinct from mart_totals.purchase_total
),

id_gaps as (
    select
        'series ids are not 1..n' as problem,
        null as platform,
        null as product
    from series
    having min(series_id) != 1 or max(series_id) != count(*)
)

select * from total_mismatches
union all
select * from id_gaps
