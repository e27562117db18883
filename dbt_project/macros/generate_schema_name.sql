{#- Custom schema names are used verbatim (staging, intermediate, marts) instead
    of dbt's default <target schema>_<custom schema>: BI tools read `marts`.
    TRUSTGAP_SCHEMA_PREFIX (build_ on Spark, pipelines/engine/spark.py) builds
    into schemas readers never see; the publish swaps the marts in from there. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ env_var('TRUSTGAP_SCHEMA_PREFIX', '') }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
