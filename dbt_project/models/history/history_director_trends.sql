{{ config(alias='director_trends') }}

{#- This run's rows for history.director_trends: per Sales Director on as_of, the
    hygiene and autonomy of their org (the director's team_scorecard row for the
    current quarter: their whole subtree plus their own deals), and whether the
    director sells instead of leading (M8), so that a week-over-week chart is one
    query on history; and the same for the whole organisation (team_leader_level
    organisation: the CEO's row, every deal), the total the directors' rows add up
    to with the CEO's own deals. Columns named as in team_scorecard keep its
    descriptions. -#}

with scorecard as (
    select * from {{ ref('team_scorecard') }}
    where team_leader_level in ('organisation', 'director') and is_current_quarter
),

team_members as (
    select * from {{ ref('int_team_members') }}
),

open_deals as (
    select * from {{ ref('fct_deals') }}
    where not is_closed
),

open_values as (
    select
        team_members.team_leader_id,
        coalesce({{ exact_sum('open_deals.amount') }}, 0) as open_value,
        coalesce({{ exact_sum('open_deals.amount', 'open_deals.is_stale') }}, 0) as stale_value
    from open_deals
    inner join team_members
        on open_deals.owner_id = team_members.user_id
    group by all
),

final as (
    select
        scorecard.as_of,
        scorecard.team_leader_id as director_id,
        scorecard.team_leader_name as director_name,
        scorecard.team_leader_level,
        scorecard.quarter_label,
        scorecard.team_members,
        scorecard.open_deals,
        coalesce(open_values.open_value, 0) as open_value,
        scorecard.stale_deals,
        scorecard.stale_deals / nullif(scorecard.open_deals, 0) as stale_share,
        coalesce(open_values.stale_value, 0) as stale_value,
        scorecard.past_due_deals,
        scorecard.slipping_deals,
        scorecard.completeness,
        scorecard.clean_deal_share,
        scorecard.hygiene_score,
        scorecard.autonomy_score,
        scorecard.interventions_above,
        scorecard.intervention_share_above,
        scorecard.top_intervener_id,
        scorecard.top_intervener_name,
        scorecard.process_score,
        scorecard.leader_open_pipeline_share,  -- M8, the director's own
        scorecard.leader_won_value_share,
        scorecard.is_selling_instead_of_leading,
        scorecard.orphaned_open_deals,  -- H12
        scorecard.orphaned_open_value
    from scorecard
    left join open_values
        on scorecard.team_leader_id = open_values.team_leader_id
)

select * from final
