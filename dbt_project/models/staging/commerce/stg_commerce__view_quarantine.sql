-- Quarantined view records of each file's current content.
{{ config(pre_hook="{{ commerce_lake_setup() }}") }}

{{ current_batch_rows(
    '(' ~ commerce_lake_source('quarantine') ~ ')',
    ref('stg_commerce__view_files'),
    columns=['source_file', 'platform', 'batch_number', 'event_index', 'raw', 'reason'],
) }}
