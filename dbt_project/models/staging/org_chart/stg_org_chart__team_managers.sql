{#- Who manages each team (name or id): the CSV at TRUSTGAP_TEAM_MANAGERS when
    set, else the team_managers seed. -#}
{{ config(materialized='table') }}

-- depends_on: {{ ref('team_managers') }}
with source as (
    select * from {{ hierarchy_csv('TRUSTGAP_TEAM_MANAGERS', 'team_managers') }}
),

renamed as (
    select
        trim(team) as team,
        nullif(lower(trim(manager_email)), '') as manager_email
    from source
    where nullif(trim(team), '') is not null
)

select * from renamed
