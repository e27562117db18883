{#- Engine differences, one dispatched macro each (issue #16): models call these
    instead of writing one engine's SQL. default__ is DuckDB's (the embedded
    engine), spark__ Spark SQL's (Spark 4, ANSI mode; Databricks alike). Types that
    both spell alike (string, double, bigint, date, boolean) are written directly. -#}

{#- An instant: DuckDB's timestamptz; Spark's timestamp is already one (shown in
    the session zone, pinned to UTC in profiles.yml). -#}
{% macro type_timestamptz() -%}
    {{ return(adapter.dispatch('type_timestamptz', 'trustgap')()) }}
{%- endmacro %}
{% macro default__type_timestamptz() -%}timestamptz{%- endmacro %}
{% macro spark__type_timestamptz() -%}timestamp{%- endmacro %}

{#- Instants before and after every real one, for open-ended validity periods. -#}
{% macro timestamp_min() -%}
    {{ return(adapter.dispatch('timestamp_min', 'trustgap')()) }}
{%- endmacro %}
{% macro default__timestamp_min() -%}cast('-infinity' as timestamptz){%- endmacro %}
{% macro spark__timestamp_min() -%}timestamp '0001-01-01 00:00:00'{%- endmacro %}

{% macro timestamp_max() -%}
    {{ return(adapter.dispatch('timestamp_max', 'trustgap')()) }}
{%- endmacro %}
{% macro default__timestamp_max() -%}cast('infinity' as timestamptz){%- endmacro %}
{% macro spark__timestamp_max() -%}timestamp '9999-12-31 23:59:59'{%- endmacro %}
