-- The toy mart `toy.totals` (in a real domain: dbt_project/models/marts/toy/totals.sql):
-- quantity per item over the current batch of every file.
create schema if not exists toy;
create or replace view toy.totals as
select
    e.item,
    sum(e.qty) as qty,
    count(*) as order_lines
from toy_raw.events as e
inner join toy_raw.files as f
    on e.source_file = f.source_file and e.batch_id = f.batch_id
group by e.item
