-- Only the rows of each file's current content: a rewritten file's older batches drop out.
{{ current_batch_rows(ref('stg_gaming__events'), ref('stg_gaming__files')) }}
