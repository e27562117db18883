{#- The metric catalog as built, generated from the registry in kpi_catalog_as_of.yml
    (config.meta.metrics): one row per metric with its definition, threshold and
    threshold source, and at run time the as-of date, the last load of the raw tables
    it reads and their freshness at the run (K1), its org value and K3 governance
    over the catalog itself. BI reads the view kpi_catalog, which adds the freshness
    at the moment it is read. -#}

{% set registry = metric_registry() %}
{% set trustgap_defaults = trustgap_default_vars() %}
{% set hubspot_tables = registry_hubspot_tables() %}

with registry_entries as (
    {% for metric in registry %}
    {% set var_names = (metric.get('threshold_vars') or {}).keys() | list %}
    {% set sources = [] %}
    {% set hubspot_sources = [] %}
    {% for table in metric.get('sources') or [] %}
        {% do sources.append('raw_salesforce.' ~ table) %}
        {% for hubspot_table in hubspot_tables.get(table) or [] %}
            {% if ('raw_hubspot.' ~ hubspot_table) not in hubspot_sources %}
                {% do hubspot_sources.append('raw_hubspot.' ~ hubspot_table) %}
            {% endif %}
        {% endfor %}
    {% endfor %}
    {% set source_parts = [] %}
    {% for name, default in (metric.get('threshold_vars') or {}).items() %}
        {% set value = var_text(name) | trim %}
        {% if default is iterable and default is not string %}
            {% set default_text = default | join(', ') %}
        {% else %}
            {% set default_text = default | string %}
        {% endif %}
        {% set origin = 'Trustgap default' if name in trustgap_defaults else 'default' %}
        {% if value == default_text %}
            {% do source_parts.append(
                'dbt var ' ~ name ~ ' = ' ~ value ~ ' (' ~ origin ~ ' in dbt_project/dbt_project.yml)'
            ) %}
        {% else %}
            {% do source_parts.append(
                'dbt var ' ~ name ~ ' = ' ~ value
                ~ ' (overridden; ' ~ origin ~ ' ' ~ default_text ~ ')'
            ) %}
        {% endif %}
    {% endfor %}
    {% if metric.get('threshold_var') %}
        {% set threshold_value = var_text(metric.threshold_var) | trim %}
    {% else %}
        {% set threshold_value = metric.get('threshold_value') %}
    {% endif %}
    select
        {{ loop.index }} as position,
        {{ sql_text(metric.id) }} as metric_id,
        {{ sql_text(metric.name) }} as name,
        {{ sql_text(metric.theme) }} as theme,
        {{ sql_text(metric.get('label')) }} as label,
        {{ sql_text(metric.get('unit')) }} as unit,
        cast({{ 'null' if metric.get('higher_is_better') is none else metric.higher_is_better }} as boolean)
            as higher_is_better,
        cast({{ metric.get('display_order') or loop.index }} as integer) as display_order,
        {{ sql_text(metric.get('trust_gap_cause')) }} as trust_gap_cause,
        {{ sql_text(metric.definition) }} as definition,
        {{ sql_text(fill_vars(metric.formula, var_names)) }} as formula,
        {{ sql_text(metric.grain) }} as grain,
        {{ sql_text(metric.table) }} as table_name,
        {{ sql_text(metric.column) }} as column_name,
        {{ sql_text(fill_vars(metric.threshold, var_names)) }} as threshold,
        try_cast({{ sql_text(threshold_value) }} as double) as var_threshold_value,
        {{ sql_text(
            metric.threshold_source or (source_parts | join('; ')) or 'none: descriptive metric'
        ) }} as threshold_source,
        {{ sql_text(metric.owner) }} as owner,
        {{ sql_text(sources | join(', ')) }} as salesforce_source_tables,
        {{ sql_text(hubspot_sources | join(', ')) }} as hubspot_source_tables,
        {{ sql_text(metric.org_value) }} as org_value_definition
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

freshness as (
    select * from {{ ref('int_source_freshness') }}
),

-- the raw tables a metric reads are those of the CRM this run read (K1 measures them)
registry as (
    select
        {{ star_except('registry_entries', ['salesforce_source_tables', 'hubspot_source_tables']) }},
        case
            when (select any_value(source) from freshness) = 'hubspot'
                then registry_entries.hubspot_source_tables
            else registry_entries.salesforce_source_tables
        end as source_tables
    from registry_entries
),

org_values as (
    select * from {{ ref('int_metric_org_values') }}
),

-- K1 per metric: the stalest of the raw tables it reads
metric_freshness as (
    select
        registry.metric_id,
        min(freshness.last_loaded_at) as source_last_loaded_at,
        max(freshness.freshness_hours) as source_freshness_hours,
        bool_and(freshness.freshness_status in ('pass', 'empty')) as is_fresh,
        {{ string_agg_ordered(
            'freshness.table_name', ', ', 'freshness.table_name',
            where="freshness.freshness_status = 'empty'"
        ) }} as empty_tables
    from registry
    inner join freshness
        on {{ list_contains(split_text('registry.source_tables', ', '), 'freshness.table_name') }}
    group by registry.metric_id
),

all_freshness as (
    select
        min(last_loaded_at) as source_last_loaded_at,
        max(freshness_hours) as source_freshness_hours,
        bool_and(freshness_status in ('pass', 'empty')) as is_fresh
    from freshness
),

catalog as (
    select
        registry.*,
        {{ as_of_date() }} as computed_as_of,
        -- a metric reading no raw table (K3) is as fresh as the run's raw data
        case
            when registry.source_tables = '' then all_freshness.source_last_loaded_at
            else metric_freshness.source_last_loaded_at
        end as source_last_loaded_at,
        case
            when registry.source_tables = '' then all_freshness.source_freshness_hours
            else metric_freshness.source_freshness_hours
        end as source_freshness_hours,
        case
            when registry.source_tables = '' then all_freshness.is_fresh
            else metric_freshness.is_fresh
        end as is_fresh,
        metric_freshness.empty_tables,
        org_values.org_value,
        org_values.threshold_value as signal_threshold_value,
        org_values.note as org_value_note
    from registry
    cross join all_freshness
    left join metric_freshness
        on registry.metric_id = metric_freshness.metric_id
    left join org_values
        on registry.metric_id = org_values.metric_id
),

-- K3: a metric is governed when published with definition, owner, threshold and as-of
governance as (
    select
        count(*) filter (
            where
                nullif(trim(definition), '') is not null
                and nullif(trim(owner), '') is not null
                and nullif(trim(threshold), '') is not null
                and computed_as_of is not null
        ) / nullif(count(*), 0) as governed_share
    from catalog
),

final as (
    select
        catalog.metric_id,
        catalog.name,
        catalog.theme,
        catalog.definition,
        catalog.formula,
        catalog.grain,
        catalog.table_name,
        catalog.column_name,
        catalog.threshold,
        coalesce(catalog.signal_threshold_value, catalog.var_threshold_value) as threshold_value,
        catalog.threshold_source,
        catalog.owner,
        catalog.source_tables,
        catalog.computed_as_of,
        catalog.source_last_loaded_at,
        catalog.source_freshness_hours as source_freshness_hours_at_as_of,
        catalog.is_fresh as is_fresh_at_as_of,
        case when catalog.metric_id = 'K3' then governance.governed_share else catalog.org_value end
            as org_value,
        catalog.org_value_definition,
        nullif(concat_ws(
            '; ',
            case
                when catalog.empty_tables is not null
                    then 'empty raw table(s) ' || catalog.empty_tables
                    || ': the values that need them are null or zero'
            end,
            catalog.org_value_note
        ), '') as note,
        catalog.label,
        catalog.unit,
        catalog.higher_is_better,
        catalog.display_order,
        catalog.trust_gap_cause
    from catalog
    cross join governance
    order by catalog.position
)

select * from final
