{#- Lists (DuckDB) / arrays (Spark): 1-based positions throughout, as in SQL. -#}

{% macro list_length(list) -%}
    {{ return(adapter.dispatch('list_length', 'trustgap')(list)) }}
{%- endmacro %}
{% macro default__list_length(list) -%}len({{ list }}){%- endmacro %}
{% macro spark__list_length(list) -%}size({{ list }}){%- endmacro %}

{#- The element at 1-based `position`; null past the end. -#}
{% macro list_at(list, position) -%}
    {{ return(adapter.dispatch('list_at', 'trustgap')(list, position)) }}
{%- endmacro %}
{% macro default__list_at(list, position) -%}{{ list }}[{{ position }}]{%- endmacro %}
{% macro spark__list_at(list, position) -%}try_element_at({{ list }}, cast({{ position }} as int)){%- endmacro %}

{% macro list_append(list, element) -%}
    {{ return(adapter.dispatch('list_append', 'trustgap')(list, element)) }}
{%- endmacro %}
{% macro default__list_append(list, element) -%}list_append({{ list }}, {{ element }}){%- endmacro %}
{% macro spark__list_append(list, element) -%}concat({{ list }}, array({{ element }})){%- endmacro %}

{% macro list_contains(list, element) -%}
    {{ return(adapter.dispatch('list_contains', 'trustgap')(list, element)) }}
{%- endmacro %}
{% macro default__list_contains(list, element) -%}list_contains({{ list }}, {{ element }}){%- endmacro %}
{% macro spark__list_contains(list, element) -%}array_contains({{ list }}, {{ element }}){%- endmacro %}

{#- 1-based position of `element` in `list`; DuckDB null, Spark 0 when absent. Use
    only for elements known to be there. -#}
{% macro list_position(list, element) -%}
    {{ return(adapter.dispatch('list_position', 'trustgap')(list, element)) }}
{%- endmacro %}
{% macro default__list_position(list, element) -%}list_position({{ list }}, {{ element }}){%- endmacro %}
{% macro spark__list_position(list, element) -%}array_position({{ list }}, {{ element }}){%- endmacro %}

{#- A one-element list as a literal. -#}
{% macro list_of(element) -%}
    {{ return(adapter.dispatch('list_of', 'trustgap')(element)) }}
{%- endmacro %}
{% macro default__list_of(element) -%}[{{ element }}]{%- endmacro %}
{% macro spark__list_of(element) -%}array({{ element }}){%- endmacro %}

{#- Text split at a literal separator, as a list. -#}
{% macro split_text(text, separator) -%}
    {{ return(adapter.dispatch('split_text', 'trustgap')(text, separator)) }}
{%- endmacro %}
{% macro default__split_text(text, separator) -%}string_split({{ text }}, '{{ separator }}'){%- endmacro %}
{#- Spark's split takes a regular expression: the separator is quoted. -#}
{% macro spark__split_text(text, separator) -%}split({{ text }}, '\\Q{{ separator }}\\E'){%- endmacro %}

{#- Select-list item(s): one row per element of `list` as `alias`; with
    `index_alias`, also its 0-based position. -#}
{% macro unnest_item(list, alias, index_alias=none) -%}
    {{ return(adapter.dispatch('unnest_item', 'trustgap')(list, alias, index_alias)) }}
{%- endmacro %}
{% macro default__unnest_item(list, alias, index_alias) -%}
    unnest({{ list }}) as {{ alias }}
    {%- if index_alias %}, unnest(range(len({{ list }}))) as {{ index_alias }}{% endif %}
{%- endmacro %}
{% macro spark__unnest_item(list, alias, index_alias) -%}
    {%- if index_alias -%}
        posexplode({{ list }}) as ({{ index_alias }}, {{ alias }})
    {%- else -%}
        explode({{ list }}) as {{ alias }}
    {%- endif -%}
{%- endmacro %}

{#- The value of `expression` on the first row in `order_by` order (an aggregate). -#}
{% macro first_value_by(expression, order_by) -%}
    {{ return(adapter.dispatch('first_value_by', 'trustgap')(expression, order_by)) }}
{%- endmacro %}
{% macro default__first_value_by(expression, order_by) -%}
    list({{ expression }} order by {{ order_by }})[1]
{%- endmacro %}
{#- Spark 4 orders only listagg (WITHIN GROUP): the first of the joined texts, so
    `expression` must be text without the separator chr(1). -#}
{% macro spark__first_value_by(expression, order_by) -%}
    nullif(split_part(
        listagg({{ expression }}, chr(1)) within group (order by {{ order_by }}), chr(1), 1
    ), '')
{%- endmacro %}

{#- A percentile with linear interpolation between values (DuckDB quantile_cont,
    Spark's exact percentile, Snowflake/BigQuery percentile_cont). -#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'trustgap')(expression, fraction)) }}
{%- endmacro %}
{% macro default__percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}
{% macro spark__percentile_cont(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{#- `select *` without some columns. -#}
{% macro star_except(relation_alias, columns) -%}
    {{ return(adapter.dispatch('star_except', 'trustgap')(relation_alias, columns)) }}
{%- endmacro %}
{% macro default__star_except(relation_alias, columns) -%}
    {{ relation_alias }}.* exclude ({{ columns | join(', ') }})
{%- endmacro %}
{% macro spark__star_except(relation_alias, columns) -%}
    {{ relation_alias }}.* except ({{ columns | join(', ') }})
{%- endmacro %}

{#- A list's elements joined by `separator`. -#}
{% macro list_join(list, separator) -%}
    {{ return(adapter.dispatch('list_join', 'trustgap')(list, separator)) }}
{%- endmacro %}
{% macro default__list_join(list, separator) -%}array_to_string({{ list }}, '{{ separator }}'){%- endmacro %}
{% macro spark__list_join(list, separator) -%}array_join({{ list }}, '{{ separator }}'){%- endmacro %}

{#- Text values of a group joined by `separator` in `order_by` order (an aggregate;
    `distinct_values` drops repeats). -#}
{% macro string_agg_ordered(expression, separator, order_by, distinct_values=false, where=none) -%}
    {{ return(adapter.dispatch('string_agg_ordered', 'trustgap')(
        expression, separator, order_by, distinct_values, where)) }}
{%- endmacro %}
{% macro default__string_agg_ordered(expression, separator, order_by, distinct_values, where) -%}
    string_agg({{ 'distinct ' if distinct_values }}{{ expression }}, '{{ separator }}' order by {{ order_by }})
    {%- if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}
{% macro spark__string_agg_ordered(expression, separator, order_by, distinct_values, where) -%}
    listagg({{ 'distinct ' if distinct_values }}{{ expression }}, '{{ separator }}')
        within group (order by {{ order_by }})
    {%- if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}
