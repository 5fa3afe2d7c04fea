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

{#- Epoch milliseconds as a double (possibly fractional) → UTC timestamp, rounded to the
    microsecond the same way on both engines (integer microseconds first). -#}
{% macro epoch_ms_double_to_timestamp(expr) -%}
    {{- return(adapter.dispatch('epoch_ms_double_to_timestamp')(expr)) -}}
{%- endmacro %}

{% macro default__epoch_ms_double_to_timestamp(expr) -%}
    cast(timestamp_micros(cast(round({{ expr }} * 1000) as bigint)) as timestamp_ntz)
{%- endmacro %}

{% macro duckdb__epoch_ms_double_to_timestamp(expr) -%}
    make_timestamp(cast(round({{ expr }} * 1000) as bigint))
{%- endmacro %}

{#- A UTC timestamp → whole seconds since 1970-01-01 (bigint). -#}
{% macro epoch_seconds(expr) -%}
    {{- return(adapter.dispatch('epoch_seconds')(expr)) -}}
{%- endmacro %}

{% macro default__epoch_seconds(expr) -%}
    unix_seconds(cast({{ expr }} as timestamp))
{%- endmacro %}

{% macro duckdb__epoch_seconds(expr) -%}
    cast(epoch({{ expr }}) as bigint)
{%- endmacro %}
