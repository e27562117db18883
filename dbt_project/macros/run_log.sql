{#- The run log trustgap_meta.runs that pipelines/warehouse.py publish() appends to,
    one row per publish. Created here too (on-run-start, dbt_project.yml) because the
    view kpi_catalog reads its published_at and dbt cannot create a view over a
    missing table; a first build finds it empty. The DDL is RUN_LOG_DDL's, word for
    word: tests/test_kpi_catalog_freshness.py fails when the two differ. -#}
{% macro create_run_log() -%}
    {{ return(adapter.dispatch('create_run_log', 'trustgap')()) }}
{%- endmacro %}

{% macro default__create_run_log() %}
create schema if not exists trustgap_meta;
create table if not exists trustgap_meta.runs (
    run_id varchar,
    as_of date,
    source varchar,
    published_at timestamptz
);
{% endmacro %}

{#- Spark runs one statement per call; the same columns in Spark's types (its
    timestamp is an instant, like timestamptz). -#}
{% macro spark__create_run_log() -%}
    {%- do run_query('create database if not exists trustgap_meta') -%}
    {%- do run_query(
        'create table if not exists trustgap_meta.runs\n'
        ~ '(run_id string, as_of date, source string, published_at timestamp) using parquet'
    ) -%}
    select 1
{%- endmacro %}
