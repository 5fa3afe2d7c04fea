{#- Time: epoch conversions and time zones. Timestamps are UTC wall clock without zone. -#}

{#- Epoch milliseconds (bigint) → UTC timestamp. -#}
{% macro epoch_ms_to_timestamp(expr) -%}
    {{- return(adapter.dispatch('epoch_ms_to_timestamp')(expr)) -}}
{%- endmacro %}

{% macro default__epoch_ms_to_timestamp(expr) -%}
    cast(timestamp_millis({{ expr }}) as timestamp_ntz)
{%- endmacro %}

{% macro duckdb__epoch_ms_to_timestamp(expr) -%}
    epoch_ms({{ expr }})
{%- endmacro %}

{#- A UTC timestamp as wall-clock time in the IANA zone `tz` (an expression). -#}
{% macro utc_to_local(expr, tz) -%}
    {{- return(adapter.dispatch('utc_to_local')(expr, tz)) -}}
{%- endmacro %}

{% macro default__utc_to_local(expr, tz) -%}
    cast(from_utc_timestamp(cast({{ expr }} as timestamp), {{ tz }}) as timestamp_ntz)
{%- endmacro %}

{% macro duckdb__utc_to_local(expr, tz) -%}
    timezone({{ tz }}, timezone('UTC', {{ expr }}))
{%- endmacro %}

{#- A timestamp truncated to `part` (minute, hour, day) as a timestamp. -#}
{% macro trunc_to(part, expr) -%}
    {{- return(adapter.dispatch('trunc_to')(part, expr)) -}}
{%- endmacro %}

{% macro default__trunc_to(part, expr) -%}
    date_trunc('{{ part }}', {{ expr }})
{%- endmacro %}

{% macro spark__trunc_to(part, expr) -%}
    cast(date_trunc('{{ part }}', {{ expr }}) as timestamp_ntz)
{%- endmacro %}
