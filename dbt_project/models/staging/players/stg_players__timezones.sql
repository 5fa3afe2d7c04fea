-- Country → IANA time zone.
with source as (
    select * from {{ source('players_raw', 'timezones') }}
),

final as (
    select
        country,
        timezone
    from source
)

select * from final
