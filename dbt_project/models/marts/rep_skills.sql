{#- P1-P8 per rep, period and skill against the rep's team (the manager's direct
    reports). A skill gap: at least var skill_gap_min_deals deals behind the value,
    and worse than the team's var skill_gap_percentile (25th) percentile beyond
    sampling noise (var skill_gap_z standard errors) and by a material margin (var
    skill_gap_min_shortfall of the percentile). In a team of five the weakest rep is
    always below the 25th percentile, so without both guards every team would show
    gaps on noise; skill_gap_z 0 and skill_gap_min_shortfall 0 give the bare rule. -#}

with skill_values as (
    select * from {{ ref('int_rep_skill_values') }}
),

users as (
    select * from {{ ref('int_users') }}
),

placed as (
    select
        skill_values.*,
        users.manager_id as team_leader_id,
        users.director_id,
        users.is_active,
        case
            when skill_values.metric_id in ('P2', 'P4', 'P5') then 'lower_is_better'
            else 'higher_is_better'
        end as direction,
        skill_values.deals >= {{ var('skill_gap_min_deals') | int }}
        and skill_values.value is not null as has_enough_deals
    from skill_values
    left join users
        on skill_values.rep_id = users.user_id
),

team_stats as (
    select
        team_leader_id,
        period_type,
        period_start,
        skill,
        count(*) as team_reps,
        {{ percentile_cont('value', 0.5) }} as team_median,
        {{ percentile_cont('value', var('skill_gap_percentile')) }} as team_p25,
        {{ percentile_cont('value', '1 - ' ~ var('skill_gap_percentile')) }} as team_p75
    from placed
    where has_enough_deals and team_leader_id is not null
    group by all
),

final as (
    select
        placed.rep_id, {{ name_of('placed.rep_id') }} as rep_name,
        placed.team_leader_id, {{ name_of('placed.team_leader_id') }} as team_leader_name,
        placed.director_id, {{ name_of('placed.director_id') }} as director_name,
        placed.is_active,
        placed.period_type,
        placed.period_start,
        placed.period_end,
        placed.period_label,
        {{ as_of_date() }} as as_of,
        placed.metric_id,
        placed.metric_name,
        placed.stage,
        placed.skill,
        placed.direction,
        placed.value,
        placed.deals,
        placed.standard_error,
        cast(coalesce(team_stats.team_reps, 0) as integer) as team_reps,
        team_stats.team_median,
        team_stats.team_p25,
        team_stats.team_p75,
        -- judged only with enough deals and at least one teammate to compare with
        placed.has_enough_deals and coalesce(team_stats.team_reps, 0) >= 2 as is_evaluated,
        coalesce(
            placed.has_enough_deals
            and team_stats.team_reps >= 2
            and case placed.direction
                when 'higher_is_better'
                    then placed.value
                    + {{ var('skill_gap_z') }} * coalesce(placed.standard_error, 0)
                    < team_stats.team_p25
                    and team_stats.team_p25 - placed.value
                    > {{ var('skill_gap_min_shortfall') }} * abs(team_stats.team_p25)
                else
                    placed.value
                    - {{ var('skill_gap_z') }} * coalesce(placed.standard_error, 0)
                    > team_stats.team_p75
                    and placed.value - team_stats.team_p75
                    > {{ var('skill_gap_min_shortfall') }} * abs(team_stats.team_p75)
            end,
            false
        ) as is_skill_gap
    from placed
    left join team_stats
        on
            placed.team_leader_id = team_stats.team_leader_id
            and placed.period_type = team_stats.period_type
            and placed.period_start = team_stats.period_start
            and placed.skill = team_stats.skill
)

select * from final
