-- Lines of each file's current content that were rejected at load (not JSON objects).
{{ current_batch_rows(ref('stg_players__load_quarantine'), ref('stg_players__files')) }}
