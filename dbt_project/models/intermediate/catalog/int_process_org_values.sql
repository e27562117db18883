{{ config(materialized='ephemeral') }}

{#- Org-wide values of M7 (last ended quarter), M8 (current quarter), M9, the
    micromanagement index and the process and skill metrics P1-P8 (trailing window),
    rolled up from the marts and the deal history. Part of int_metric_org_values. -#}

with signals as (
    select * from {{ ref('leader_signals_weekly') }}
),

trailing_start as (
    select cast({{ as_of_date() }} - {{ var('trailing_days') | int }} + 1 as date) as day
),

last_ended_quarter as (
    select max(quarter_start) as quarter_start
    from {{ ref('int_fiscal_quarters') }}
    where quarter_end < {{ as_of_date() }}
),

outcomes as (
    select * from {{ ref('int_deal_outcomes') }}
),

trailing_closes as (
    select * from outcomes
    where is_closed and closed_on >= (select day from trailing_start)
),

entries as (
    select * from {{ ref('int_stage_entries') }}
    where entered_on >= (select day from trailing_start)
),

other as (
    select
        'M7' as metric_id,
        {{ exact_sum('greatest(amount, 0)', 'is_late_quarter_close') }}
        / nullif({{ exact_sum('greatest(amount, 0)') }}, 0) as org_value
    from outcomes
    where is_won and closed_quarter_start = (select quarter_start from last_ended_quarter)
    union all
    -- M8: the share of team leaders (directors and managers) selling instead of leading
    select 'M8', count(*) filter (where is_selling_instead_of_leading) / nullif(count(*), 0)
    from {{ ref('team_scorecard') }}
    -- the organisation row is not a team leader's
    where is_current_quarter and team_leader_level != 'organisation'
    union all
    select 'M9', {{ percentile_cont('cast(span_of_control as double)', 0.5) }}
    from {{ ref('dim_users') }}
    where is_manager
    union all
    select 'MI', count(*) filter (where micromanagement_index > 0) / nullif(count(*), 0)
    from signals
    where week_start >= (select day from trailing_start)
    union all
    select
        'P1',
        count(*) filter (where has_advanced) / nullif(count(*) filter (where is_resolved), 0)
    from entries
    union all
    select 'P2', {{ percentile_cont('cast(days_in_stage as double)', 0.5) }} from entries
    union all
    select 'P3', count(*) filter (where is_won) / nullif(count(*), 0) from trailing_closes
    union all
    select
        'P4',
        {{ percentile_cont('case when is_won then cast(cycle_days as double) end', 0.5) }}
    from trailing_closes
    union all
    select
        'P5',
        (
            select count(*) from {{ ref('int_deal_actions') }}
            where action_type = 'activity' and acted_on >= (select day from trailing_start)
        ) / nullif((
            select count(*) from {{ ref('int_stage_transitions') }}
            where is_forward and changed_on >= (select day from trailing_start)
        ), 0)
    union all
    select
        'P6',
        (
            select count(*) from outcomes
            where created_on >= (select day from trailing_start)
        )
        * (count(*) filter (where is_won) / nullif(count(*), 0))
        * {{ exact_avg('greatest(amount, 0)', 'is_won') }}
        / nullif(
            {{ percentile_cont('case when is_won then cast(cycle_days as double) end', 0.5) }}, 0
        )
    from trailing_closes
    union all
    select 'P7', {{ percentile_cont('value', 0.5) }}
    from {{ ref('rep_skills') }}
    where period_type = 'trailing' and metric_id = 'P7'
    union all
    select
        'P8',
        coalesce({{ exact_sum('greatest(start_amount, 0)', 'is_won_in_quarter') }}, 0)
        / nullif({{ exact_sum('greatest(start_amount, 0)') }}, 0)
    from {{ ref('int_deal_quarter_states') }}
    where
        was_committed
        and was_due_in_quarter
        and quarter_end <= {{ as_of_date() }}
        and quarter_start >= (select day from trailing_start)
),

final as (
    select
        metric_id,
        cast(org_value as double) as org_value,
        cast(null as double) as threshold_value,
        cast(null as string) as note
    from other
)

select * from final
