-- GET /ctr's day table: the minute table summed per business-zone day (`minute_idx` of the
-- day's start).
{{ config(alias='ctr_series_day') }}

{{ commerce_ctr_rollup(1440) }}
