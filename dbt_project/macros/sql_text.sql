{#- A Jinja value as a SQL string literal (null for none). -#}
{% macro sql_text(value) -%}
    {%- if value is none -%}
        cast(null as string)
    {%- else -%}
        '{{ value | string | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}


{#- A dbt var's value as text: lists joined with ', '. -#}
{% macro var_text(name) -%}
    {%- set value = var(name) -%}
    {%- if value is iterable and value is not string -%}
        {{ value | join(', ') }}
    {%- else -%}
        {{ value }}
    {%- endif -%}
{%- endmacro %}


{#- Text with every {var_name} of `names` replaced by the var's value. -#}
{% macro fill_vars(text, names) -%}
    {%- set ns = namespace(text=text) -%}
    {%- for name in names -%}
        {%- set ns.text = ns.text | replace('{' ~ name ~ '}', var_text(name) | trim) -%}
    {%- endfor -%}
    {{ ns.text }}
{%- endmacro %}
