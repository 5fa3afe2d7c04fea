{#- JSON held as text: DuckDB has a JSON type, Spark keeps the text and parses on access. -#}

{#- The text `expr` as the target's JSON value. -#}
{% macro json_value(expr) -%}
    {{- return(adapter.dispatch('json_value')(expr)) -}}
{%- endmacro %}

{% macro default__json_value(expr) -%}
    {{ expr }}
{%- endmacro %}

{% macro duckdb__json_value(expr) -%}
    cast({{ expr }} as json)
{%- endmacro %}

{#- A scalar field of a JSON object as text (null when missing); `path` like '$.user_id'. -#}
{% macro json_text(expr, path) -%}
    {{- return(adapter.dispatch('json_text')(expr, path)) -}}
{%- endmacro %}

{% macro default__json_text(expr, path) -%}
    get_json_object({{ expr }}, '{{ path }}')
{%- endmacro %}

{% macro duckdb__json_text(expr, path) -%}
    json_extract_string({{ expr }}, '{{ path }}')
{%- endmacro %}

{#- Several fields of a JSON text at once, as two lists in `paths` order (read them with
    `list_item`): `json_types` gives each field's JSON type with DuckDB's names (`VARCHAR`,
    `UBIGINT` for a non-negative integer up to 2^64 - 1, `BIGINT` for a negative one, `DOUBLE`
    for any other number, `BOOLEAN`, `OBJECT`, `ARRAY`, `NULL` for JSON null; SQL null when the
    field is missing), `json_texts` its value as text (strings unquoted, null for JSON null).
    DuckDB parses the text once per list; Spark reads each field from the parsed VARIANT
    (its type) and with get_json_object (its text as written, which tells an integer from a
    decimal: VARIANT reads 1.0 as an integral DECIMAL). -#}
{% macro json_types(expr, paths) -%}
    {{- return(adapter.dispatch('json_types')(expr, paths)) -}}
{%- endmacro %}

{% macro duckdb__json_types(expr, paths) -%}
    json_type({{ expr }}, [{% for path in paths %}'{{ path }}'{{ ', ' if not loop.last }}{% endfor %}])
{%- endmacro %}

{% macro spark__json_types(expr, paths) -%}
    array(
    {%- for path in paths %}
        {%- set kind = "schema_of_variant(variant_get(try_parse_json(" ~ expr ~ "), '" ~ path ~ "'))" %}
        {%- set text = "get_json_object(" ~ expr ~ ", '" ~ path ~ "')" %}
        case
            when {{ kind }} is null then null
            when {{ kind }} = 'VOID' then 'NULL'
            when {{ kind }} = 'STRING' then 'VARCHAR'
            when {{ kind }} = 'BOOLEAN' then 'BOOLEAN'
            when {{ kind }} like 'OBJECT%' then 'OBJECT'
            when {{ kind }} like 'ARRAY%' then 'ARRAY'
            when not {{ text }} rlike '^-?[0-9]+$' then 'DOUBLE'
            when {{ text }} like '-%' then
                case when try_cast({{ text }} as bigint) is not null then 'BIGINT' else 'DOUBLE' end
            when try_cast({{ text }} as decimal(20, 0)) <= 18446744073709551615 then 'UBIGINT'
            else 'DOUBLE'
        end{{ ',' if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}

{% macro json_texts(expr, paths) -%}
    {{- return(adapter.dispatch('json_texts')(expr, paths)) -}}
{%- endmacro %}

{% macro duckdb__json_texts(expr, paths) -%}
    json_extract_string({{ expr }}, [{% for path in paths %}'{{ path }}'{{ ', ' if not loop.last }}{% endfor %}])
{%- endmacro %}

{% macro spark__json_texts(expr, paths) -%}
    array({% for path in paths %}get_json_object({{ expr }}, '{{ path }}'){{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- The `n`-th item (1-based) of a list. -#}
{% macro list_item(list, n) -%}
    {{- return(adapter.dispatch('list_item')(list, n)) -}}
{%- endmacro %}

{% macro default__list_item(list, n) -%}
    {{ list }}[{{ n }}]
{%- endmacro %}

{% macro spark__list_item(list, n) -%}
    element_at({{ list }}, {{ n }})
{%- endmacro %}

{#- A text value as a JSON string literal (quoted and escaped), as text. -#}
{% macro json_string(expr) -%}
    {{- return(adapter.dispatch('json_string')(expr)) -}}
{%- endmacro %}

{% macro default__json_string(expr) -%}
    regexp_extract(to_json(named_struct('v', {{ expr }})), '^\\{"v":(.*)\\}$', 1)
{%- endmacro %}

{% macro duckdb__json_string(expr) -%}
    cast(to_json({{ expr }}) as varchar)
{%- endmacro %}
