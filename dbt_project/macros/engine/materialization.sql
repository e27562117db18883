{#- Materializations that depend on the engine. A model that DuckDB keeps
    incrementally writes {{ config(materialized=incremental_materialization()) }}:
    'incremental' on DuckDB; 'table' on Spark, whose plain Parquet tables cannot
    merge (an incremental Spark model needs Delta, Iceberg or Hudi: a deployment's
    choice, made in spark__incremental_materialization, not in the models). -#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'trustgap')()) }}
{%- endmacro %}
{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}
{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{#- The name the issue proposed, for the models being made incremental now. -#}
{% macro trustgap_incremental_materialization() -%}
    {{ return(incremental_materialization()) }}
{%- endmacro %}
