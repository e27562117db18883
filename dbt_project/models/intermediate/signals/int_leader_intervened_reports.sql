{{ config(materialized='ephemeral') }}

{#- Where each leader intervened most in an ISO week: the direct report whose org
    owns the deals (ties go to the first report id). -#}

with interventions as (
    select * from {{ ref('int_deal_interventions') }}
),

final as (
    select
        leader_id,
        week_start,
        via_report_id,
        count(*) as interventions
    from interventions
    group by leader_id, week_start, via_report_id
    qualify row_number() over (
        partition by leader_id, week_start order by count(*) desc, via_report_id
    ) = 1
)

select * from final
