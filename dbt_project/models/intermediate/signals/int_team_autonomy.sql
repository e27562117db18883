{{ config(materialized='ephemeral') }}

{#- The autonomy component of team_scorecard, per team leader and fiscal quarter:
    how much the leaders above the team leader act on the team's deals, who of
    them most, and the team leader's own weekly micromanagement index. -#}

with team_members as (
    select * from {{ ref('int_team_members') }}
),

user_leaders as (
    select * from {{ ref('int_user_leaders') }}
),

actions as (
    select * from {{ ref('int_deal_actions') }}
),

team_actions as (
    select
        team_members.team_leader_id,
        team_members.team_level,
        actions.quarter_start,
        count(*) as team_actions,
        count(above.leader_id) as interventions_above,
        count(above.leader_id) filter (where actions.is_late_quarter)
            as late_quarter_interventions_above,
        count(above.leader_id) filter (
            where actions.action_type = 'owner_change' and actions.is_deal_open
        ) as takeovers_above
    from actions
    inner join team_members
        on actions.owner_id = team_members.user_id
    left join user_leaders as above
        on
            team_members.team_leader_id = above.user_id
            and actions.actor_id = above.leader_id
    group by all
),

intervener_counts as (
    select
        team_members.team_leader_id,
        actions.quarter_start,
        actions.actor_id as top_intervener_id,
        count(*) as top_intervener_interventions
    from actions
    inner join team_members
        on actions.owner_id = team_members.user_id
    inner join user_leaders as above
        on
            team_members.team_leader_id = above.user_id
            and actions.actor_id = above.leader_id
    group by team_members.team_leader_id, actions.quarter_start, actions.actor_id
),

-- ranked in a subquery, not with qualify: Spark takes no aggregate in qualify's window
top_interveners as (
    select team_leader_id, quarter_start, top_intervener_id, top_intervener_interventions
    from (
        select
            *,
            row_number() over (
                partition by team_leader_id, quarter_start
                order by top_intervener_interventions desc, top_intervener_id asc
            ) as intervener_rank
        from intervener_counts
    ) as ranked
    where intervener_rank = 1
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

final as (
    select
        coalesce(team_actions.team_leader_id, own_signals.team_leader_id) as team_leader_id,
        coalesce(team_actions.quarter_start, own_signals.quarter_start) as quarter_start,
        team_actions.team_actions,
        team_actions.interventions_above,
        team_actions.late_quarter_interventions_above,
        team_actions.takeovers_above,
        -- nobody is above the organisation: no share to judge its autonomy by
        case
            when coalesce(team_actions.team_level, '') != 'organisation'
                then team_actions.interventions_above / nullif(team_actions.team_actions, 0)
        end as intervention_share_above,
        top_interveners.top_intervener_id,
        top_interveners.top_intervener_interventions,
        own_signals.own_micromanagement_index,
        own_signals.own_breached_weeks
    from team_actions
    left join top_interveners
        on
            team_actions.team_leader_id = top_interveners.team_leader_id
            and team_actions.quarter_start = top_interveners.quarter_start
    full outer join own_signals
        on
            team_actions.team_leader_id = own_signals.team_leader_id
            and team_actions.quarter_start = own_signals.quarter_start
)

select * from final
