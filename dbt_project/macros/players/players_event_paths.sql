{#- The JSON paths of a player event that staging extracts, in the order of its columns. -#}
{% macro players_event_paths() -%}
    {{- return([
        '$.event_id',
        '$.event_timestamp',
        '$.event_type',
        '$.event_data',
        '$.event_data.country',
        '$.event_data.user_id',
        '$.event_data.device_os',
        '$.event_data.type',
        '$.event_data.match_id',
        '$.event_data.home_user_id',
        '$.event_data.away_user_id',
        '$.event_data.home_goals_scored',
        '$.event_data.away_goals_scored',
    ]) -}}
{%- endmacro %}
