-- Country → IANA time zone, as the last load read it.
{{ config(pre_hook="{{ players_lake_setup(['timezones']) }}") }}

with source as (
    {{ players_lake_source('timezones') }}
),

final as (
    select
        country,
        timezone
    from source
)

select * from final
