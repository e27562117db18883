{#- Text functions the engines spell differently. -#}

{#- True when the whole of `text` matches the regular expression `pattern`. -#}
{% macro regex_full_match(text, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'trustgap')(text, pattern)) }}
{%- endmacro %}
{% macro default__regex_full_match(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}
{% macro spark__regex_full_match(text, pattern) -%}
    regexp_like({{ text }}, '^(?:{{ pattern }})$')
{%- endmacro %}

{#- True when `pattern` matches somewhere in `text`. -#}
{% macro regex_contains(text, pattern) -%}
    {{ return(adapter.dispatch('regex_contains', 'trustgap')(text, pattern)) }}
{%- endmacro %}
{% macro default__regex_contains(text, pattern) -%}
    regexp_matches({{ text }}, '{{ pattern }}')
{%- endmacro %}
{% macro spark__regex_contains(text, pattern) -%}
    regexp_like({{ text }}, '{{ pattern | replace("\\", "\\\\") }}')
{%- endmacro %}

{#- A number as text with `places` decimals, rounded half away from zero on the
    double's exact binary value (DuckDB's printf; Spark's printf rounds the shortest
    decimal form instead, 2.675 -> 2.68, hence the exact decimal there). -#}
{% macro fixed_text(number, places) -%}
    {{ return(adapter.dispatch('fixed_text', 'trustgap')(number, places)) }}
{%- endmacro %}
{% macro default__fixed_text(number, places) -%}
    printf('%.{{ places }}f', {{ number }})
{%- endmacro %}
{% macro spark__fixed_text(number, places) -%}
    cast(round(cast({{ number }} as decimal(38, 18)), {{ places }}) as string)
{%- endmacro %}

{#- Integer division, truncating (both operands integers). -#}
{% macro int_div(dividend, divisor) -%}
    {{ return(adapter.dispatch('int_div', 'trustgap')(dividend, divisor)) }}
{%- endmacro %}
{% macro default__int_div(dividend, divisor) -%}({{ dividend }}) // ({{ divisor }}){%- endmacro %}
{% macro spark__int_div(dividend, divisor) -%}({{ dividend }}) div ({{ divisor }}){%- endmacro %}
