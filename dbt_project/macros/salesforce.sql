{#- Salesforce sends datetimes as 2026-01-02T03:04:05.000+0000 (REST) or with a
    trailing Z (Bulk 2.0 CSV). Malformed values become null, never an error:
    raw keeps the original string for quarantine. -#}
{% macro salesforce_datetime(column) -%}
    {{ try_parse_timestamp(
        "regexp_replace(" ~ column ~ ", 'Z$', '+0000')",
        ['%Y-%m-%dT%H:%M:%S.%g%z', '%Y-%m-%dT%H:%M:%S%z']
    ) }}
{%- endmacro %}


{#- Salesforce dates are YYYY-MM-DD; anything else becomes null. -#}
{% macro salesforce_date(column) -%}
    cast({{ try_parse_timestamp(column, '%Y-%m-%d') }} as date)
{%- endmacro %}
