{#- First day of the fiscal quarter containing a date; fiscal years start in
    var `fiscal_year_start_month`. -#}
{% macro fiscal_quarter_start(date_value) -%}
    {%- set offset = (var('fiscal_year_start_month') | int) - 1 -%}
    cast(
        date_trunc('quarter', {{ date_value }} - interval {{ offset }} month)
        + interval {{ offset }} month
        as date
    )
{%- endmacro %}
