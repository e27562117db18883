{#- Each HubSpot owner's manager. HubSpot has no manager field: the org chart
    (by email) decides; users it does not list report to the manager of their
    primary team (stg_org_chart__team_managers). Nobody is dropped: manager_source
    says where the manager came from, and users left without one are reported by a
    warn test. -#}
with owners as (
    select * from {{ ref('stg_hubspot__owners') }}
),

teams as (
    select * from {{ ref('stg_hubspot__owner_teams') }}
),

org_chart as (
    -- the first row of each group, ranked in a subquery: QUALIFY is not in Spark 3.5
    select {{ star_except('ranked', ['user_rank']) }}
    from (
        select
            *,
            row_number() over (
                partition by user_email order by manager_email nulls last
            ) as user_rank
        from {{ ref('stg_org_chart__managers') }}
    ) as ranked
    where user_rank = 1
),

team_managers as (
    select * from {{ ref('stg_org_chart__team_managers') }}
),

-- one owner per email, preferring an active one
owner_emails as (
    select
        owner_id,
        email
    from (
        select
            owner_id,
            lower(trim(email)) as email,
            row_number() over (
                partition by lower(trim(email)) order by is_archived, owner_id
            ) as email_rank
        from owners
        where email is not null
    ) as ranked
    where email_rank = 1
),

primary_teams as (
    select
        owner_id,
        team_id,
        team_name
    from (
        select
            owner_id,
            team_id,
            team_name,
            row_number() over (
                partition by owner_id order by is_primary desc, team_id asc
            ) as team_rank
        from teams
    ) as ranked
    where team_rank = 1
),

charted as (
    select
        owners.owner_id,
        org_chart.user_email is not null as is_charted,
        org_chart.manager_email,
        chart_managers.owner_id as manager_id,
        org_chart.team
    from owners
    left join org_chart
        on lower(trim(owners.email)) = org_chart.user_email
    left join owner_emails as chart_managers
        on org_chart.manager_email = chart_managers.email
),

by_team as (
    select
        owner_id,
        team_name,
        manager_id
    from (
        select
            primary_teams.owner_id,
            primary_teams.team_name,
            team_owners.owner_id as manager_id,
            row_number() over (
                partition by primary_teams.owner_id order by team_managers.team
            ) as team_rank
        from primary_teams
        inner join team_managers
            on team_managers.team in (primary_teams.team_name, primary_teams.team_id)
        left join owner_emails as team_owners
            on team_managers.manager_email = team_owners.email
    ) as ranked
    where team_rank = 1
),

final as (
    select
        owners.owner_id as user_id,
        case
            when charted.is_charted then charted.manager_id
            when by_team.manager_id != owners.owner_id then by_team.manager_id
        end as manager_id,
        case
            when charted.is_charted and charted.manager_email is null then 'org_chart_top'
            when charted.is_charted and charted.manager_id is not null then 'org_chart'
            when charted.is_charted then 'org_chart_unknown_manager'
            when by_team.manager_id != owners.owner_id then 'team'
            else 'none'
        end as manager_source,
        coalesce(charted.team, primary_teams.team_name) as team
    from owners
    left join charted
        on owners.owner_id = charted.owner_id
    left join by_team
        on owners.owner_id = by_team.owner_id
    left join primary_teams
        on owners.owner_id = primary_teams.owner_id
)

select * from final
