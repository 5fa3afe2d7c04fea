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

{#- Epoch seconds (bigint) → the UTC day (date). -#}
{% macro epoch_seconds_to_date(expr) -%}
    {{- return(adapter.dispatch('epoch_seconds_to_date')(expr)) -}}
{%- endmacro %}

{% macro default__epoch_seconds_to_date(expr) -%}
    cast(cast(timestamp_seconds({{ expr }}) as timestamp_ntz) as date)
{%- endmacro %}

{% macro duckdb__epoch_seconds_to_date(expr) -%}
    cast(make_timestamp({{ expr }} * 1000000) as date)
{%- endmacro %}

{#- Epoch seconds (bigint) as wall-clock text `YYYY-MM-DD HH:MM:SS` in the IANA zone `tz` (an
    expression). UTC → local is a function (no DST gap or overlap on this side): both engines
    give the zone database's offset at that instant. -#}
{% macro epoch_seconds_to_local_text(expr, tz) -%}
    {{- return(adapter.dispatch('epoch_seconds_to_local_text')(expr, tz)) -}}
{%- endmacro %}

{% macro default__epoch_seconds_to_local_text(expr, tz) -%}
    date_format(from_utc_timestamp(timestamp_seconds({{ expr }}), {{ tz }}), 'yyyy-MM-dd HH:mm:ss')
{%- endmacro %}

{% macro duckdb__epoch_seconds_to_local_text(expr, tz) -%}
    strftime(timezone({{ tz }}, to_timestamp({{ expr }})), '%Y-%m-%d %H:%M:%S')
{%- endmacro %}
