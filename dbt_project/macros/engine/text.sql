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
