{#- column_name (a column or an expression) identifies a row: never null and never
    repeated. dbt's unique and not_null in one grouped scan, so a key costs one test
    node, not two (dbt's per-node overhead is most of the nightly's dbt step at S:
    issue #17). Each failing row names the key value (null for the missing ones), the
    failure and how many rows share it. -#}

{% test primary_key(model, column_name) %}

select
    cast({{ column_name }} as string) as key_value,
    case when {{ column_name }} is null then 'null' else 'duplicate' end as failure,
    count(*) as n_rows
from {{ model }}
group by {{ column_name }}
having {{ column_name }} is null or count(*) > 1

{% endtest %}
