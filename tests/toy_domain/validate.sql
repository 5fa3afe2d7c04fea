-- The toy domain's validation: every line of `lines_in` (source_file, line_number, raw,
-- utf8_ok) with its fields and the reason it is quarantined (NULL: a valid order line).
with parsed as (
    select
        source_file,
        line_number,
        raw,
        utf8_ok,
        json_valid(raw) as is_json
    from lines_in
),

fields as (
    select
        *,
        case when is_json then raw::json ->> '$.item' end as item,
        case when is_json then try_cast(raw::json ->> '$.qty' as bigint) end as qty
    from parsed
)

select
    source_file,
    line_number,
    raw,
    item,
    qty,
    case
        when not utf8_ok then 'line is not valid UTF-8'
        when not is_json then 'line is not valid JSON'
        when item is null or item = '' then 'missing field: item'
        when qty is null or qty <= 0 then 'qty is not a positive integer'
    end as reason
from fields
