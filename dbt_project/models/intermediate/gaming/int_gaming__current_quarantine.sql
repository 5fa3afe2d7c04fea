-- Rejected lines of each file's current content.
{{ current_batch_rows(ref('stg_gaming__quarantine'), ref('stg_gaming__files')) }}
