{#- A CSV file as a relation of text columns, named by its header row (the org chart
    of TRUSTGAP_ORG_CHART). Every value stays text: the staging model casts. -#}
{% macro csv_file(path, name) -%}
    {{ return(adapter.dispatch('csv_file', 'trustgap')(path, name)) }}
{%- endmacro %}

{% macro default__csv_file(path, name) -%}
    read_csv('{{ path | replace("'", "''") }}', header = true, all_varchar = true)
{%- endmacro %}

{#- Spark SQL reads a file in a query only without options (csv.`path` has no header
    and numbers its columns), so the file becomes an external CSV table beside the
    model, created again each run: its header names the columns, and without schema
    inference every column is a string. -#}
{% macro spark__csv_file(path, name) -%}
    {%- set relation = api.Relation.create(schema=this.schema, identifier=name ~ '__csv') -%}
    {%- if execute -%}
        {%- do run_query('create database if not exists ' ~ relation.schema) -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- do run_query(
            'create table ' ~ relation ~ " using csv options (path '"
            ~ (path | replace("\\", "\\\\") | replace("'", "\\'")) ~ "', header 'true')"
        ) -%}
    {%- endif -%}
    {{ relation }}
{%- endmacro %}
