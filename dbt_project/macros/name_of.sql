{#- The display name beside an id in a mart: `name_column` of the row of `relation` (a
    CTE of the model, `users` by default) whose unique `key` is `id_column`; null when
    the id resolves nowhere. A scalar subquery, which DuckDB plans as a join: one
    line per label, and every mart labels its ids the same way. Qualify id_column. -#}
{% macro name_of(id_column, relation='users', key='user_id', name_column='name') -%}
    (select named.{{ name_column }} from {{ relation }} as named where named.{{ key }} = {{ id_column }})
{%- endmacro %}
