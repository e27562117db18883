{#- One row per raw table of every CRM: its rows and newest _loaded_at. The tables
    are the dbt sources raw_salesforce and raw_hubspot (staging/*/_*__sources.yml,
    which a test keeps equal to the connectors' catalogs), read from the graph when
    executing: adding a raw table to a catalog and its sources YAML is the one edit.
    A table never landed (raw_hubspot on a Salesforce-only warehouse) has no rows. -#}

{%- set raw_tables = [] -%}
{%- if execute -%}
    {%- for node in graph.sources.values()
        if node.source_name in ['raw_salesforce', 'raw_hubspot'] -%}
        {%- set meta = node.config.meta or node.meta or {} -%}
        {%- do raw_tables.append({
            'source': node.source_name | replace('raw_', ''),
            'schema': node.schema,
            'table': node.name,
            'crm_object': meta.get('crm_object', node.name),
            'relation': adapter.get_relation(node.database, node.schema, node.identifier),
        }) -%}
    {%- endfor -%}
{%- endif %}

with loads as (
    {%- for raw in raw_tables %}
        select
            '{{ raw.source }}' as source,
            '{{ raw.schema }}.{{ raw.table }}' as table_name,
            '{{ raw.crm_object }}' as crm_object,
            {%- if raw.relation is not none %}
                count(*) as row_count,
                max(_loaded_at) as last_row_loaded_at
            from {{ raw.relation }}
            {%- else %}
        0 as row_count,
        cast(null as {{ type_timestamptz() }}) as last_row_loaded_at
        {%- endif %}
            {{ 'union all' if not loop.last }}
    {%- else %}
        select
            cast(null as string) as source,
            cast(null as string) as table_name,
            cast(null as string) as crm_object,
            0 as row_count,
            cast(null as {{ type_timestamptz() }}) as last_row_loaded_at
        where false
    {%- endfor %}
)

select
    source,
    table_name,
    crm_object,
    cast(row_count as bigint) as row_count,
        last_row_loaded_at
from loads
