{#-
  The two business rules of the commerce domain, in one place (documented in
  models/marts/commerce/_commerce__marts.yml and README "Domain: commerce").

  commerce_platform(device): orders.device → API platform.
    ios, iphone, ipad, ios_app              → iOS
    android, android_app                    → Android
    mobile_web, mobileweb, msite, mobile,
    web_mobile                              → MobileWeb
    anything else (desktop, smart_tv, empty, null) → null: not attributed to a platform,
    so not counted in the CTR mart (no views exist for it to be compared with).
  Matching is case-insensitive after trimming; '-' and ' ' count as '_'.

  commerce_is_purchase(status): which order statuses count as purchases.
    counted:     approved, paid, invoiced, shipped, delivered, complete, completed
    not counted: canceled, cancelled, refunded, pending_payment, payment_failed, and any
                 status not listed above (an unknown status is not assumed to be a sale).
-#}
{% macro commerce_device_key(device) -%}
    replace(replace(lower(trim({{ device }})), '-', '_'), ' ', '_')
{%- endmacro %}

{% macro commerce_platform(device) -%}
    case
        when {{ commerce_device_key(device) }} in ('ios', 'iphone', 'ipad', 'ios_app') then 'iOS'
        when {{ commerce_device_key(device) }} in ('android', 'android_app') then 'Android'
        when {{ commerce_device_key(device) }} in ('mobile_web', 'mobileweb', 'msite', 'mobile', 'web_mobile')
            then 'MobileWeb'
    end
{%- endmacro %}

{% macro commerce_is_purchase(status) -%}
    coalesce(lower(trim({{ status }})) in (
        'approved', 'paid', 'invoiced', 'shipped', 'delivered', 'complete', 'completed'
    ), false)
{%- endmacro %}

{#- The business time zone (COMMERCE_TIMEZONE, as the loaders and the API read it). -#}
{% macro commerce_timezone() -%}
    {%- if env_var is defined -%}
        '{{ env_var("COMMERCE_TIMEZONE", "America/Sao_Paulo") | replace("'", "") }}'
    {%- else -%}
        'America/Sao_Paulo'
    {%- endif -%}
{%- endmacro %}

{#- A shop table from the commerce lake, as a parenthesised relation (typed and empty on DuckDB
    while nothing was extracted yet). Models using it set `commerce_lake_setup()` as pre-hook. -#}
{% macro commerce_shop_table(table_name) -%}
    ({{ commerce_lake_source(table_name) }})
{%- endmacro %}
