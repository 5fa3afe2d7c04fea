-- Quarantined view records of each file's current content.
{{ current_batch_rows(
    source('commerce_views', 'quarantine'),
    ref('stg_commerce__view_files'),
    columns=['source_file', 'platform', 'batch_number', 'event_index', 'raw', 'reason'],
) }}
