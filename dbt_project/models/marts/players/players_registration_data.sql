-- One row per registered user: country, device and the registration time in UTC and in the
-- local time of the user's country.
{{ config(alias='registration_data') }}

with registrations as (
    select * from {{ ref('int_players__clean_events') }}
    where event_type = 'registration'
),

final as (
    select
        user_id,
        country,
        timezone,
        device_os,
        event_timestamp as registered_at_epoch,
        cast(make_timestamp(event_timestamp * 1000000) as date) as registration_date,
        strftime(
            timezone(timezone, to_timestamp(event_timestamp)), '%Y-%m-%d %H:%M:%S'
        ) as registration_date_local_timezone
    from registrations
)

select * from final
