{#- The org chart: the CSV at TRUSTGAP_ORG_CHART when set, else the org_chart
    seed. A table, not a view: the published warehouse must not depend on the
    file. team is optional in the CSV. -#}
{{ config(materialized='table') }}

{%- set path = env_var('TRUSTGAP_ORG_CHART', '') | trim %}
{%- set has_team = true %}
{%- if path and execute %}
    {%- set described = run_query(
        "describe select * from " ~ trustgap.csv_file(path, 'org_chart')
    ) %}
    {%- set has_team = 'team' in (described.columns[0].values() | map('lower') | list) %}
{%- endif %}

-- depends_on: {{ ref('org_chart') }}
with source as (
    select * from {{ hierarchy_csv('TRUSTGAP_ORG_CHART', 'org_chart') }}
),

renamed as (
    select
        lower(trim(user_email)) as user_email,
        nullif(lower(trim(manager_email)), '') as manager_email,
        {% if has_team -%} nullif(trim(team), '') {%- else -%} cast(null as string) {%- endif %} as team
    from source
    where nullif(trim(user_email), '') is not null
)

select * from renamed
