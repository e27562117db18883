{{ config(materialized='ephemeral') }}

{#- Where each leader intervened most in an ISO week: the direct report whose org
    owns the deals (ties go to the first report id). -#}

with interventions as (
    select * from {{ ref('int_deal_interventions') }}
),

per_report as (
    select
        leader_id,
        week_start,
        via_report_id,
        count(*) as interventions
    from interventions
    group by leader_id, week_start, via_report_id
),

-- ranked in a subquery, not with qualify: Spark takes no aggregate in qualify's window
ranked as (
    select
        *,
        row_number() over (
            partition by leader_id, week_start order by interventions desc, via_report_id asc
        ) as report_rank
    from per_report
),

final as (
    select leader_id, week_start, via_report_id, interventions
    from ranked
    where report_rank = 1
)

select * from final
