{#- The metric registry of kpi_catalog.yml (config.meta.metrics) and the threshold vars
    whose default Trustgap chose. Macros, so a unit test can swap in a small registry. -#}
{% macro metric_registry() %}
    {{ return(model.config.meta.get('metrics', [])) }}
{% endmacro %}


{% macro trustgap_default_vars() %}
    {{ return(model.config.meta.get('trustgap_default_vars', [])) }}
{% endmacro %}
