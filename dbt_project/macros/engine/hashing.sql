{#- A 64-bit hash of one or more values, for checks that group by a key: grouping by a
    fixed-width number is cheaper than by the key's text. Equal values hash equal; two
    different ones may too, so a check only uses it to find the candidates it then
    groups exactly (tests/generic/primary_key.sql). NULL hashes to a value, like any.
    The var key_hash_buckets (unset in a real run) folds the hashes into that many,
    so a test can make different keys collide. -#}
{% macro key_hash(expressions) -%}
    {%- set hashed = adapter.dispatch('key_hash', 'trustgap')(expressions) -%}
    {%- set buckets = var('key_hash_buckets', none) -%}
    {%- if buckets is not none -%}
        ({{ hashed }}) % {{ buckets | int }}
    {%- else -%}
        {{ hashed }}
    {%- endif -%}
{%- endmacro %}
{% macro default__key_hash(expressions) -%}
    hash({{ expressions | join(', ') }})
{%- endmacro %}
{% macro spark__key_hash(expressions) -%}
    xxhash64({{ expressions | join(', ') }})
{%- endmacro %}
