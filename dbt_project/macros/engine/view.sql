{#- Views on DuckDB in one catalog change: `create or replace view` inside the node's
    transaction. dbt's own view materialization creates the view under a temporary
    name, renames the old one away, renames the new one in and drops the old one: four
    catalog changes, with their cache lookups and log events, for each of the ~55
    views a night rebuilds although nothing in them changed (issue #17). DuckDB
    replaces a view atomically and keeps no dependencies between views to break, so
    readers see the old view or the new one, as before. A table of the same name (a
    model that was a table) is dropped first, as dbt does. Spark keeps dbt-spark's. -#}
{% materialization view, adapter='duckdb' %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='view') -%}
  {%- set grant_config = config.get('grants') -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  -- `BEGIN` happens here:
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {%- if existing_relation is not none and not existing_relation.is_view %}
    {{ adapter.drop_relation(existing_relation) }}
  {%- endif %}

  {% call statement('main') -%}
    {%- if config.get('contract').enforced %}
      {{ get_assert_columns_equivalent(sql) }}
    {%- endif %}
    {%- set sql_header = config.get('sql_header', none) %}
    {{ sql_header if sql_header is not none }}
    create or replace view {{ target_relation }} as (
      {{ sql }}
    );
  {%- endcall %}

  {% set should_revoke = should_revoke(existing_relation, full_refresh_mode=True) %}
  {% do apply_grants(target_relation, grant_config, should_revoke=should_revoke) %}
  {% do persist_docs(target_relation, model) %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
