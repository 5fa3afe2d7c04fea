-- depends_on: {{ ref('int_players__touched_users') }}
-- One row per registered user: country, device and the registration time in UTC and in the
-- local time of the user's country.
--
-- Incremental by user: an incremental build deletes the rows of the touched users (pre-hook)
-- and inserts theirs again (on Spark a table rebuilt whole by every build).
{{ config(**incremental_on_duckdb({
    'alias': 'registration_data',
    'materialized': 'incremental',
    'incremental_strategy': 'append',
    'on_schema_change': 'fail',
    'pre_hook': "{{ players_delete_touched_users() }}",
})) }}

with registrations as (
    select * from {{ ref('int_players__clean_events') }}
    where
        event_type = 'registration'
        {% if is_incremental() %}
            and user_id in (select touched.user_id from {{ ref('int_players__touched_users') }} as touched)
        {% endif %}
),

final as (
    select
        user_id,
        country,
        timezone,
        device_os,
        event_timestamp as registered_at_epoch,
        {{ epoch_seconds_to_date('event_timestamp') }} as registration_date,
        {{ epoch_seconds_to_local_text('event_timestamp', 'timezone') }} as registration_date_local_timezone
    from registrations
)

select * from final
