{#- column_name (a column or an expression) identifies a row: never null and never
    repeated. dbt's unique and not_null in one test node, not two (dbt's per-node
    overhead is most of the nightly's dbt step at S: issue #17). Each failing row names
    the key value (null for the missing ones), the failure and how many rows share it.

    Two passes: the first groups the rows by a 64-bit hash of the key (macros/engine/
    hashing.sql), which is cheaper than grouping by the key's text (9.6M action ids at
    L: 0.94-0.98 -> 0.82-0.85 s on an idle machine, 2.9-3.7 -> 1.7-2.0 s on a busy
    one). Only the keys whose hash repeats, or is a null's, are grouped again by their
    value, so a hash collision costs a second look, never a wrong verdict. When no
    hash repeats, DuckDB skips the second scan (its semi-join has nothing to match). -#}

{% test primary_key(model, column_name) %}

with suspect_hashes as (
    select {{ key_hash([column_name]) }} as key_hash
    from {{ model }}
    group by {{ key_hash([column_name]) }}
    having count(*) > 1 or bool_or({{ column_name }} is null)
)

select
    cast({{ column_name }} as string) as key_value,
    case when {{ column_name }} is null then 'null' else 'duplicate' end as failure,
    count(*) as n_rows
from {{ model }}
where {{ key_hash([column_name]) }} in (select key_hash from suspect_hashes)
group by {{ column_name }}
having {{ column_name }} is null or count(*) > 1

{% endtest %}
