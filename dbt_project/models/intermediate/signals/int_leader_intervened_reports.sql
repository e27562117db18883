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

-- ranked in a subquery, not with qualify: Spark takes no aggregate in qualify's window.
-- The order is total (one row per report in a partition) and says where NULLs go:
-- a bare `asc` puts them first on Spark and last on DuckDB, so a report id that came
-- out null (as Spark's 0-based x[i] once made it upstream) won every tie on Spark only.
-- int_user_leaders' not_null test stops such a build; `nulls last` keeps a null from
-- ever being "the first report id" on either engine.
ranked as (
    select
        *,
        row_number() over (
            partition by leader_id, week_start
            order by interventions desc, via_report_id asc nulls last
        ) as report_rank
    from per_report
),

final as (
    select leader_id, week_start, via_report_id, interventions
    from ranked
    where report_rank = 1
)

select * from final
