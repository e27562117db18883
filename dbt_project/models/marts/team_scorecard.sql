{#- One row per Sales Director (depth 1) and manager (anyone else with direct
    reports) per fiscal quarter, and one for the organisation (the CEO's: every user,
    so every deal), over the team (int_team_leaders, int_team_members: the leader's
    whole subtree plus the leader's own deals). Each component is its own model, kept
    beside the scores: autonomy (int_team_autonomy), process (int_team_stage_process:
    H9, P1, P2; int_team_outcomes: P3, H10, M7), skills (int_team_skills), hygiene
    (int_team_hygiene: the team's open deals on as_of, so the current quarter only),
    freshness (K1) and the leader's own selling (int_leader_own_selling: M8). -#}

-- name_of() reads users
with users as (  -- noqa: ST03
    select * from {{ ref('dim_users') }}
),

quarters as (
    select * from {{ ref('int_fiscal_quarters') }}
),

team_leaders as (
    select * from {{ ref('int_team_leaders') }}
),

autonomy as (
    select * from {{ ref('int_team_autonomy') }}
),

stage_process as (
    select * from {{ ref('int_team_stage_process') }}
),

outcomes as (
    select * from {{ ref('int_team_outcomes') }}
),

team_skills as (
    select * from {{ ref('int_team_skills') }}
),

team_hygiene as (
    select * from {{ ref('int_team_hygiene') }}
),

freshness as (
    select
        max(freshness_hours) as source_freshness_hours,
        coalesce(bool_and(freshness_status in ('pass', 'empty')), false) as is_data_fresh
    from {{ ref('int_source_freshness') }}
),

own_selling as (
    select * from {{ ref('int_leader_own_selling') }}
),

combined as (
    select
        team_leaders.user_id as team_leader_id,
        team_leaders.name as team_leader_name,
        team_leaders.team_level as team_leader_level,
        team_leaders.manager_id as team_leader_manager_id,
        team_leaders.director_id,
        team_leaders.is_active as team_leader_is_active,
        quarters.quarter_start,
        quarters.quarter_end,
        quarters.quarter_label,
        quarters.is_current as is_current_quarter,
        team_leaders.span_of_control,
        team_leaders.team_members,
        -- autonomy
        coalesce(autonomy.team_actions, 0) as team_actions,
        coalesce(autonomy.interventions_above, 0) as interventions_above,
        coalesce(autonomy.late_quarter_interventions_above, 0)
            as late_quarter_interventions_above,
        coalesce(autonomy.takeovers_above, 0) as takeovers_above,
        autonomy.intervention_share_above,
        autonomy.top_intervener_id,
        coalesce(autonomy.top_intervener_interventions, 0) as top_intervener_interventions,
        autonomy.own_micromanagement_index,
        coalesce(autonomy.own_breached_weeks, 0) as own_breached_weeks,
        -- process
        coalesce(stage_process.forward_moves, 0) as forward_moves,
        stage_process.stage_skip_rate,
        stage_process.stage_conversion,
        stage_process.median_days_in_stage,
        coalesce(outcomes.closed_deals, 0) as closed_deals,
        outcomes.win_rate,
        coalesce(outcomes.won_value, 0) as won_value,
        outcomes.end_of_quarter_concentration,
        coalesce(outcomes.due_value, 0) as due_value,
        outcomes.slipped_rate,
        -- skills
        coalesce(quarter_skills.skill_gaps, 0) as skill_gaps,
        coalesce(quarter_skills.reps_with_skill_gap, 0) as reps_with_skill_gap,
        case when quarters.is_current then coalesce(trailing_skills.skill_gaps, 0) end
            as trailing_skill_gaps,
        case when quarters.is_current then coalesce(trailing_skills.reps_with_skill_gap, 0) end
            as trailing_reps_with_skill_gap,
        -- hygiene (point in time: the current quarter only)
        case when quarters.is_current then coalesce(team_hygiene.open_deals, 0) end as open_deals,
        case when quarters.is_current then coalesce(team_hygiene.stale_deals, 0) end as stale_deals,
        case when quarters.is_current then coalesce(team_hygiene.past_due_deals, 0) end
            as past_due_deals,
        case when quarters.is_current then coalesce(team_hygiene.slipping_deals, 0) end
            as slipping_deals,
        case when quarters.is_current then team_hygiene.completeness end as completeness,
        case when quarters.is_current then team_hygiene.clean_deal_share end as clean_deal_share,
        case when quarters.is_current then coalesce(team_hygiene.orphaned_open_deals, 0) end
            as orphaned_open_deals,
        case when quarters.is_current then coalesce(team_hygiene.orphaned_open_value, 0) end
            as orphaned_open_value,
        -- freshness
        freshness.source_freshness_hours,
        freshness.is_data_fresh
    from team_leaders
    cross join quarters
    cross join freshness
    left join autonomy
        on
            team_leaders.user_id = autonomy.team_leader_id
            and quarters.quarter_start = autonomy.quarter_start
    left join stage_process
        on
            team_leaders.user_id = stage_process.team_leader_id
            and quarters.quarter_start = stage_process.quarter_start
    left join outcomes
        on
            team_leaders.user_id = outcomes.team_leader_id
            and quarters.quarter_start = outcomes.quarter_start
    left join team_skills as quarter_skills
        on
            team_leaders.user_id = quarter_skills.team_leader_id
            and quarter_skills.period_type = 'quarter'
            and quarters.quarter_start = quarter_skills.period_start
    left join team_skills as trailing_skills
        on
            team_leaders.user_id = trailing_skills.team_leader_id
            and trailing_skills.period_type = 'trailing'
    left join team_hygiene
        on team_leaders.user_id = team_hygiene.team_leader_id
),

final as (
    select
        combined.team_leader_id,
        team_leader_name,
        team_leader_level,
        team_leader_manager_id,
        {{ name_of('combined.team_leader_manager_id') }} as team_leader_manager_name,
        director_id, {{ name_of('combined.director_id') }} as director_name,
        team_leader_is_active,
        combined.quarter_start,
        quarter_end,
        quarter_label,
        is_current_quarter,
        {{ as_of_date() }} as as_of,
        cast(span_of_control as integer) as span_of_control,
        cast(team_members as integer) as team_members,
        -- scores in [0, 1], higher is better; null when nothing to judge
        1 - intervention_share_above as autonomy_score,
        (
            coalesce(1 - stage_skip_rate, 0) + coalesce(stage_conversion, 0)
            + coalesce(1 - slipped_rate, 0)
        ) / nullif(
            cast(stage_skip_rate is not null as integer) + cast(slipped_rate is not null as integer)
            + cast(stage_conversion is not null as integer),
            0
        ) as process_score,
        clean_deal_share as hygiene_score,
        cast(team_actions as integer) as team_actions,
        cast(interventions_above as integer) as interventions_above,
        cast(late_quarter_interventions_above as integer) as late_quarter_interventions_above,
        cast(takeovers_above as integer) as takeovers_above,
        intervention_share_above,
        top_intervener_id, {{ name_of('combined.top_intervener_id') }} as top_intervener_name,
        cast(top_intervener_interventions as integer) as top_intervener_interventions,
        own_micromanagement_index,
        cast(own_breached_weeks as integer) as own_breached_weeks,
        cast(forward_moves as integer) as forward_moves,
        stage_skip_rate,
        stage_conversion,
        median_days_in_stage,
        cast(closed_deals as integer) as closed_deals,
        win_rate,
        cast(won_value as double) as won_value,
        end_of_quarter_concentration,
        cast(due_value as double) as due_value,
        slipped_rate,
        cast(skill_gaps as integer) as skill_gaps,
        cast(reps_with_skill_gap as integer) as reps_with_skill_gap,
        cast(trailing_skill_gaps as integer) as trailing_skill_gaps,
        cast(trailing_reps_with_skill_gap as integer) as trailing_reps_with_skill_gap,
        cast(open_deals as integer) as open_deals,
        cast(stale_deals as integer) as stale_deals,
        cast(past_due_deals as integer) as past_due_deals,
        cast(slipping_deals as integer) as slipping_deals,
        completeness,
        clean_deal_share,
        source_freshness_hours,
        is_data_fresh,
        team_open_value, leader_open_value, leader_open_pipeline_share, leader_won_value,
        leader_won_value_share, is_selling_instead_of_leading,
        cast(orphaned_open_deals as integer) as orphaned_open_deals,  -- H12
        cast(orphaned_open_value as double) as orphaned_open_value
    from combined
    left join own_selling
        on
            combined.team_leader_id = own_selling.team_leader_id
            and combined.quarter_start = own_selling.quarter_start
)

select * from final
