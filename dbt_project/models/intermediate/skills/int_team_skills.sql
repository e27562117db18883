{{ config(materialized='ephemeral') }}

{#- The skills component of team_scorecard: per team leader and rep_skills period,
    the skill gaps of the team's reps and how many reps were judged. -#}

with team_members as (
    select * from {{ ref('int_team_members') }}
),

skills as (
    select * from {{ ref('rep_skills') }}
),

final as (
    select
        team_members.team_leader_id,
        skills.period_type,
        skills.period_start,
        count(*) filter (where skills.is_skill_gap) as skill_gaps,
        count(distinct skills.rep_id) filter (where skills.is_skill_gap) as reps_with_skill_gap,
        count(distinct skills.rep_id) filter (where skills.is_evaluated) as reps_evaluated
    from skills
    inner join team_members
        on skills.rep_id = team_members.user_id
    group by all
)

select * from final
