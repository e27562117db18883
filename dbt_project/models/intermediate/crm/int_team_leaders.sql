{{ config(materialized='ephemeral') }}

{#- The leaders of team_scorecard's rows, one each: the user (dim_users), the level of
    the team (organisation, director or manager) and how many people it has below the
    leader (int_team_members, the leader excluded). -#}

with users as (
    select * from {{ ref('dim_users') }}
),

teams as (
    select
        team_leader_id,
        team_level,
        count(*) - 1 as team_members
    from {{ ref('int_team_members') }}
    group by team_leader_id, team_level
),

final as (
    select
        users.*,
        teams.team_level,
        teams.team_members
    from users
    inner join teams
        on users.user_id = teams.team_leader_id
)

select * from final  -- noqa: AM04
