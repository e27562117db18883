{#- One row per Sales Director (depth 1) and manager (anyone else with direct
    reports) per fiscal quarter, over the team: the leader's whole subtree plus the
    leader's own deals. Components are kept beside the scores:
    - autonomy: how much the leaders above the team leader act on the team's deals,
      and the team leader's own weekly micromanagement index;
    - process: H9 stage skips, P1 conversion, P2 stage days, P3 win rate, H10
      slips, M7 end-of-quarter concentration;
    - skills: skill gaps of the team's reps (rep_skills);
    - hygiene: the team's open deals on as_of (current quarter only: hygiene is a
      point-in-time state);
    - freshness: how old the raw data is (K1). -#}

with users as (
    select * from {{ ref('dim_users') }}
),

user_leaders as (
    select * from {{ ref('int_user_leaders') }}
),

quarters as (
    select * from {{ ref('int_fiscal_quarters') }}
),

team_leaders as (
    select users.*
    from users
    where
        users.depth = 1
        or (users.depth > 1 and exists (
            select 1 from users as reports
            where reports.manager_id = users.user_id and reports.user_id != users.user_id
        ))
),

-- Whose deals are the team's: everyone below the team leader and the leader.
team_members as (
    select
        user_leaders.leader_id as team_leader_id,
        user_leaders.user_id
    from user_leaders
    inner join team_leaders
        on user_leaders.leader_id = team_leaders.user_id

    union all

    select
        user_id as team_leader_id,
        user_id
    from team_leaders
),

team_actions as (
    select
        team_members.team_leader_id,
        actions.quarter_start,
        count(*) as team_actions,
        count(above.leader_id) as interventions_above,
        count(above.leader_id) filter (where actions.is_late_quarter)
            as late_quarter_interventions_above,
        count(above.leader_id) filter (
            where actions.action_type = 'owner_change' and actions.is_deal_open
        ) as takeovers_above
    from {{ ref('int_deal_actions') }} as actions
    inner join team_members
        on actions.owner_id = team_members.user_id
    left join user_leaders as above
        on
            team_members.team_leader_id = above.user_id
            and actions.actor_id = above.leader_id
    group by all
),

top_interveners as (
    select
        team_members.team_leader_id,
        actions.quarter_start,
        actions.actor_id as top_intervener_id,
        count(*) as top_intervener_interventions
    from {{ ref('int_deal_actions') }} as actions
    inner join team_members
        on actions.owner_id = team_members.user_id
    inner join user_leaders as above
        on
            team_members.team_leader_id = above.user_id
            and actions.actor_id = above.leader_id
    group by team_members.team_leader_id, actions.quarter_start, actions.actor_id
    qualify row_number() over (
        partition by team_members.team_leader_id, actions.quarter_start
        order by count(*) desc, actions.actor_id
    ) = 1
),

own_signals as (
    select
        leader_id as team_leader_id,
        quarter_start,
        avg(micromanagement_index) as own_micromanagement_index,
        count(*) filter (where micromanagement_index > 0) as own_breached_weeks
    from {{ ref('leader_signals_weekly') }}
    group by all
),

team_moves as (
    select
        team_members.team_leader_id,
        {{ fiscal_quarter_start('transitions.changed_on') }} as quarter_start,
        count(*) filter (where transitions.is_forward) as forward_moves,
        count(*) filter (where transitions.is_skip) as skipped_moves
    from {{ ref('int_stage_transitions') }} as transitions
    inner join team_members
        on transitions.owner_id = team_members.user_id
    group by all
),

team_entries as (
    select
        team_members.team_leader_id,
        entries.entered_quarter_start as quarter_start,
        count(*) filter (where entries.has_advanced) as advanced_entries,
        count(*) filter (where entries.is_resolved) as resolved_entries,
        median(entries.days_in_stage::double) as median_days_in_stage
    from {{ ref('int_stage_entries') }} as entries
    inner join team_members
        on entries.owner_id = team_members.user_id
    group by all
),

team_closes as (
    select
        team_members.team_leader_id,
        outcomes.closed_quarter_start as quarter_start,
        count(*) as closed_deals,
        count(*) filter (where outcomes.is_won) as won_deals,
        {{ exact_sum('greatest(outcomes.amount, 0)', 'outcomes.is_won') }} as won_value,
        {{ exact_sum(
            'greatest(outcomes.amount, 0)', 'outcomes.is_won and outcomes.is_late_quarter_close'
        ) }} as late_quarter_won_value
    from {{ ref('int_deal_outcomes') }} as outcomes
    inner join team_members
        on outcomes.close_owner_id = team_members.user_id
    where outcomes.is_closed
    group by all
),

team_slips as (
    select
        team_members.team_leader_id,
        states.quarter_start,
        {{ exact_sum('greatest(coalesce(states.start_amount, 0), 0)') }} as due_value,
        {{ exact_sum('greatest(coalesce(states.start_amount, 0), 0)', 'states.has_slipped') }}
            as slipped_value
    from {{ ref('int_deal_quarter_states') }} as states
    inner join team_members
        on states.start_owner_id = team_members.user_id
    where states.was_due_in_quarter
    group by all
),

team_skills as (
    select
        team_members.team_leader_id,
        skills.period_type,
        skills.period_start,
        count(*) filter (where skills.is_skill_gap) as skill_gaps,
        count(distinct skills.rep_id) filter (where skills.is_skill_gap) as reps_with_skill_gap,
        count(distinct skills.rep_id) filter (where skills.is_evaluated) as reps_evaluated
    from {{ ref('rep_skills') }} as skills
    inner join team_members
        on skills.rep_id = team_members.user_id
    group by all
),

team_hygiene as (
    select
        team_members.team_leader_id,
        count(*) filter (where not deals.is_closed) as open_deals,
        count(*) filter (where deals.is_stale) as stale_deals,
        count(*) filter (where deals.is_past_due) as past_due_deals,
        count(*) filter (where deals.is_slipping) as slipping_deals,
        count(*) filter (where not deals.is_closed and deals.is_complete)
        / nullif(count(*) filter (where not deals.is_closed), 0) as completeness,
        count(*) filter (where not deals.is_closed and deals.hygiene_issue_count = 0)
        / nullif(count(*) filter (where not deals.is_closed), 0) as clean_deal_share
    from {{ ref('fct_deals') }} as deals
    inner join team_members
        on deals.owner_id = team_members.user_id
    group by all
),

freshness as (
    select
        max(freshness_hours) as source_freshness_hours,
        coalesce(bool_and(freshness_status in ('pass', 'empty')), false) as is_data_fresh
    from {{ ref('int_source_freshness') }}
),

team_size as (
    select
        team_leader_id,
        count(*) - 1 as team_members
    from team_members
    group by team_leader_id
),

combined as (
    select
        team_leaders.user_id as team_leader_id,
        team_leaders.name as team_leader_name,
        case when team_leaders.depth = 1 then 'director' else 'manager' end as team_leader_level,
        team_leaders.manager_id as team_leader_manager_id,
        team_leaders.director_id,
        team_leaders.is_active as team_leader_is_active,
        quarters.quarter_start,
        quarters.quarter_end,
        quarters.quarter_label,
        quarters.is_current as is_current_quarter,
        team_leaders.span_of_control,
        coalesce(team_size.team_members, 0) as team_members,
        -- autonomy
        coalesce(team_actions.team_actions, 0) as team_actions,
        coalesce(team_actions.interventions_above, 0) as interventions_above,
        coalesce(team_actions.late_quarter_interventions_above, 0)
            as late_quarter_interventions_above,
        coalesce(team_actions.takeovers_above, 0) as takeovers_above,
        team_actions.interventions_above / nullif(team_actions.team_actions, 0)
            as intervention_share_above,
        top_interveners.top_intervener_id,
        coalesce(top_interveners.top_intervener_interventions, 0) as top_intervener_interventions,
        own_signals.own_micromanagement_index,
        coalesce(own_signals.own_breached_weeks, 0) as own_breached_weeks,
        -- process
        coalesce(team_moves.forward_moves, 0) as forward_moves,
        team_moves.skipped_moves / nullif(team_moves.forward_moves, 0) as stage_skip_rate,
        team_entries.advanced_entries / nullif(team_entries.resolved_entries, 0)
            as stage_conversion,
        team_entries.median_days_in_stage,
        coalesce(team_closes.closed_deals, 0) as closed_deals,
        team_closes.won_deals / nullif(team_closes.closed_deals, 0) as win_rate,
        coalesce(team_closes.won_value, 0) as won_value,
        coalesce(team_closes.late_quarter_won_value, 0)
        / nullif(team_closes.won_value, 0) as end_of_quarter_concentration,  -- M7
        coalesce(team_slips.due_value, 0) as due_value,
        coalesce(team_slips.slipped_value, 0) / nullif(team_slips.due_value, 0) as slipped_rate,
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
        -- freshness
        freshness.source_freshness_hours,
        freshness.is_data_fresh
    from team_leaders
    cross join quarters
    cross join freshness
    left join team_size
        on team_leaders.user_id = team_size.team_leader_id
    left join team_actions
        on
            team_leaders.user_id = team_actions.team_leader_id
            and quarters.quarter_start = team_actions.quarter_start
    left join top_interveners
        on
            team_leaders.user_id = top_interveners.team_leader_id
            and quarters.quarter_start = top_interveners.quarter_start
    left join own_signals
        on
            team_leaders.user_id = own_signals.team_leader_id
            and quarters.quarter_start = own_signals.quarter_start
    left join team_moves
        on
            team_leaders.user_id = team_moves.team_leader_id
            and quarters.quarter_start = team_moves.quarter_start
    left join team_entries
        on
            team_leaders.user_id = team_entries.team_leader_id
            and quarters.quarter_start = team_entries.quarter_start
    left join team_closes
        on
            team_leaders.user_id = team_closes.team_leader_id
            and quarters.quarter_start = team_closes.quarter_start
    left join team_slips
        on
            team_leaders.user_id = team_slips.team_leader_id
            and quarters.quarter_start = team_slips.quarter_start
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
        team_leader_id,
        team_leader_name,
        team_leader_level,
        team_leader_manager_id,
        director_id,
        team_leader_is_active,
        quarter_start,
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
            (stage_skip_rate is not null)::integer + (stage_conversion is not null)::integer
            + (slipped_rate is not null)::integer,
            0
        ) as process_score,
        clean_deal_share as hygiene_score,
        cast(team_actions as integer) as team_actions,
        cast(interventions_above as integer) as interventions_above,
        cast(late_quarter_interventions_above as integer) as late_quarter_interventions_above,
        cast(takeovers_above as integer) as takeovers_above,
        intervention_share_above,
        top_intervener_id,
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
        is_data_fresh
    from combined
)

select * from final
