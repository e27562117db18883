{#- A raw_hubspot table, or zero rows of its declared columns when it was never
    landed (a Salesforce-only warehouse): HubSpot staging then builds empty
    instead of failing. The columns come from _hubspot__sources.yml. -#}
{% macro hubspot_source(table_name) -%}
    {%- set relation = source('raw_hubspot', table_name) -%}
    {%- if execute and load_relation(relation) is none -%}
        {%- set node = graph.sources['source.' ~ project_name ~ '.raw_hubspot.' ~ table_name] -%}
        (
            select
                {%- for column in node.columns.values() %}
                cast(null as {{ column.data_type }}) as {{ adapter.quote(column.name) }}
                {{- "," if not loop.last }}
                {%- endfor %}
            where false
        )
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}


{#- HubSpot datetimes are ISO 8601 strings (2026-01-02T03:04:05.123Z); a few
    properties of older portals hold epoch milliseconds. Anything else is null;
    raw keeps the original string. -#}
{% macro hubspot_timestamp(column) -%}
    coalesce(
        try_cast({{ column }} as {{ type_timestamptz() }}),
        case
            when {{ regex_full_match(column, '[0-9]{10,13}') }}
                then {{ from_epoch_ms('cast(' ~ column ~ ' as bigint)') }}
        end
    )
{%- endmacro %}


{#- HubSpot booleans are the strings "true" / "false". -#}
{% macro hubspot_boolean(column) -%}
    case lower({{ column }}) when 'true' then true when 'false' then false end
{%- endmacro %}


{#- hs_manual_forecast_category's internal values as the canonical forecast
    category labels (Salesforce's ForecastCategoryName picklist labels). -#}
{% macro hubspot_forecast_category(column) -%}
    case upper({{ column }})
        when 'PIPELINE' then 'Pipeline'
        when 'BEST_CASE' then 'Best Case'
        when 'COMMIT' then 'Commit'
        when 'CLOSED' then 'Closed'
        when 'OMIT' then 'Omitted'
        else {{ column }}
    end
{%- endmacro %}


{#- A hierarchy CSV configured by path (an environment variable naming the file),
    else the seed of the same shape. -#}
{% macro hierarchy_csv(env_name, seed_name) -%}
    {%- set path = env_var(env_name, '') | trim -%}
    {%- if path -%}
        {{ trustgap.csv_file(path, seed_name) }}
    {%- else -%}
        {{ ref(seed_name) }}
    {%- endif -%}
{%- endmacro %}
