-- GET /ctr's hour table: the minute table summed per hour (`minute_idx` of the hour's start).
{{ config(alias='ctr_series_hour') }}

{{ commerce_ctr_rollup(60) }}
