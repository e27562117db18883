{#- Every (id column, name column) pair in `pairs` labels its id: wherever the id
    resolves to a row of `to` (by `field`), the name column holds that row's
    `name_field`. Ids that resolve nowhere may have a null name. One test per model
    for all its pairs, so a mart adds one test node, not one per column. -#}

{% test names_resolve(model, pairs, to, field='user_id', name_field='name') %}

{% for id_column, name_column in pairs %}
select
    '{{ id_column }}' as id_column,
    cast(labelled.{{ id_column }} as string) as id_value,
    labelled.{{ name_column }} as name_value,
    named.{{ name_field }} as expected_name
from {{ model }} as labelled
inner join {{ to }} as named
    on labelled.{{ id_column }} = named.{{ field }}
where labelled.{{ name_column }} is distinct from named.{{ name_field }}
{{ 'union all' if not loop.last }}
{% endfor %}

{% endtest %}
