{{ config(materialized='table') }}

{#- P1-P8 per rep, period and skill, with the number of deals behind each value.
    Periods are fiscal quarters (up to as_of) and the trailing var trailing_days
    (365) days. Each family of skills is its own model (ephemeral, built here):
    int_rep_stage_skills (P1, P2), int_rep_outcome_skills (P3, P4, P6, P7),
    int_rep_activity_skills (P5), int_rep_commit_skills (P8). -#}

with stage_skills as (
    select * from {{ ref('int_rep_stage_skills') }}
),

outcome_skills as (
    select * from {{ ref('int_rep_outcome_skills') }}
),

activity_skills as (
    select * from {{ ref('int_rep_activity_skills') }}
),

commit_skills as (
    select * from {{ ref('int_rep_commit_skills') }}
),

-- every family has the same columns, from macros/skills.sql (rep_skill_rows)
final as (
    select * from stage_skills
    union all
    select * from outcome_skills
    union all
    select * from activity_skills
    union all
    select * from commit_skills
)

select * from final  -- noqa: AM04
