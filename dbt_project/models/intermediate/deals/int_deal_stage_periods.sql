{{ config(materialized='table') }}

with deals as (
    select * from {{ ref('int_deals_as_of') }}
),

stages as (
    select * from {{ ref('int_stages') }}
),

stage_changes as (
    select
        deal_id,
        change_id,
        old_value,
        changed_at,
        changed_on,
        row_number() over deal_changes as change_number,
        lag(changed_at) over deal_changes as previous_changed_at,
        lag(changed_on) over deal_changes as previous_changed_on
    from {{ ref('int_deal_changes') }}
    where
        field = 'stage'
        and changed_on <= {{ as_of_date() }}
    window deal_changes as (partition by deal_id order by changed_at, change_id)
),

-- Each stage change closes the period of the stage it left.
closed_periods as (
    select
        stage_changes.deal_id,
        stage_changes.change_number as period_number,
        stage_changes.old_value as stage,
        coalesce(stage_changes.previous_changed_at, deals.created_at) as entered_at,
        coalesce(stage_changes.previous_changed_on, deals.created_on) as entered_on,
        stage_changes.changed_at as exited_at,
        stage_changes.changed_on as exited_on,
        false as is_current
    from stage_changes
    inner join deals
        on stage_changes.deal_id = deals.deal_id
),

last_stage_changes as (
    -- the first row of each group, ranked in a subquery: QUALIFY is not in Spark 3.5
    select {{ star_except('ranked', ['change_rank']) }}
    from (
        select
            *,
            row_number() over (
                partition by deal_id order by changed_at desc, change_id desc
            ) as change_rank
        from stage_changes
    ) as ranked
    where change_rank = 1
),

-- The stage held on as_of, entered at the last change (or creation).
current_periods as (
    select
        deals.deal_id,
        coalesce(last_stage_changes.change_number, 0) + 1 as period_number,
        deals.stage,
        coalesce(last_stage_changes.changed_at, deals.created_at) as entered_at,
        coalesce(last_stage_changes.changed_on, deals.created_on) as entered_on,
        cast(null as {{ type_timestamptz() }}) as exited_at,
        cast(null as date) as exited_on,
        true as is_current
    from deals
    left join last_stage_changes
        on deals.deal_id = last_stage_changes.deal_id
),

periods as (
    select
        *,
        coalesce(exited_on, {{ as_of_date() }}) as exited_or_as_of
    from (
        select * from closed_periods
        union all
        select * from current_periods
    ) as all_periods
),

final as (
    select
        periods.deal_id || ':' || periods.period_number as stage_period_id,
        periods.deal_id,
        deals.source,
        deals.pipeline,
        cast(periods.period_number as integer) as period_number,
        periods.stage,
        stages.stage_order,
        periods.entered_at,
        periods.entered_on,
        periods.exited_at,
        periods.exited_on,
        periods.is_current,
        -- a change logged before the deal's created date is a data error, not negative
        -- time; an unknown entry date (unparseable created date) stays unknown
        case
            when periods.entered_on is not null
                then cast(
                    greatest({{ days_between('periods.entered_on', 'periods.exited_or_as_of') }}, 0)
                    as integer
                )
        end as days_in_stage
    from periods
    inner join deals
        on periods.deal_id = deals.deal_id
    left join stages
        on
            deals.source = stages.source
            and deals.pipeline = stages.pipeline
            and periods.stage = stages.stage
)

select * from final
