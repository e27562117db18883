{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='deal_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ deal_period_delete_changed(stage_entry_settings()) }}",
    post_hook="{{ deal_period_record_build(stage_entry_settings()) }}",
) }}

{#- One row per deal and open stage it entered up to as_of (P1, P2, stage_funnel): when
    it first entered, who owned it then, whether it later reached a stage further up
    the funnel (skipping the next one counts, losing does not), and the days it spent
    there once it left. A deal still sitting in the stage has not resolved yet. The
    owner at the entry is the one int_deal_stage_history logged at the event that
    opened the stay.

    Incremental by deal across as-of dates on DuckDB, as int_deal_field_periods
    (macros/incremental_as_of.sql): the days of the stay running on as_of, the only
    thing that moves with as_of alone, are not shown until the deal leaves. -#}
-- parsed unconditionally, so dbt sees the inputs the hooks and the scope ref():
{%- do deal_change_inputs() + deal_action_references() + deal_period_as_of_events() %}
{%- set scope = deal_period_scope(stage_entry_settings())
    if incremental_enabled() and is_incremental() else none -%}
{%- set partial = scope is not none and not scope.full %}
{%- set changed_deals_filter = '\n    where deal_id in (' ~ deal_period_changed_deals(scope) ~ ')'
    if partial else '' %}

with stage_periods as (
    select * from {{ ref('int_deal_stage_periods') }}
    {{- changed_deals_filter }}
),

stages as (
    select * from {{ ref('int_stages') }}
),

deals as (
    select * from {{ ref('int_deals_as_of') }}
    {{- changed_deals_filter }}
),

history as (
    select * from {{ ref('int_deal_stage_history') }}
    {{- changed_deals_filter }}
),

placed as (
    select
        stage_periods.*,
        stages.funnel_order,
        coalesce(stages.is_closed, false) as is_closed_stage,
        max(stages.funnel_order) over (
            partition by stage_periods.deal_id
            order by stage_periods.period_number
            rows between 1 following and unbounded following
        ) as later_max_funnel_order
    from stage_periods
    left join stages
        on
            stage_periods.source = stages.source
            and stage_periods.pipeline = stages.pipeline
            and stage_periods.stage = stages.stage
),

open_stage_stays as (
    select * from placed
    where funnel_order is not null and not is_closed_stage
),

per_deal_stage as (
    select
        deal_id,
        stage,
        bool_or(is_current) as is_in_stage,
        sum(days_in_stage) as days_in_stage
    from open_stage_stays
    group by deal_id, stage
),

first_entries as (
    -- the first row of each group, ranked in a subquery: QUALIFY is not in Spark 3.5
    select {{ star_except('ranked', ['entry_rank']) }}
    from (
        select
            *,
            row_number() over (partition by deal_id, stage order by period_number) as entry_rank
        from open_stage_stays
    ) as ranked
    where entry_rank = 1
),

final as (
    select
        first_entries.deal_id || ':' || first_entries.stage as stage_entry_id,
        first_entries.deal_id,
        first_entries.source,
        first_entries.pipeline,
        first_entries.stage,
        first_entries.stage_order,
        first_entries.funnel_order,
        first_entries.entered_at,
        first_entries.entered_on,
        {{ fiscal_quarter_start('first_entries.entered_on') }} as entered_quarter_start,
        -- an owner period still running on as_of holds the deal's owner then, as in
        -- int_deal_field_periods (history can miss a change the record has)
        case
            when opening_events.logged_owner_until <= {{ as_of_date() }}
                then opening_events.logged_owner_id
            else deals.owner_id
        end as owner_id,
        per_deal_stage.is_in_stage,
        coalesce(first_entries.later_max_funnel_order > first_entries.funnel_order, false)
            as has_advanced,
        coalesce(first_entries.later_max_funnel_order > first_entries.funnel_order, false)
        or not per_deal_stage.is_in_stage as is_resolved,
        -- total days over its stays, known once the deal has left the stage
        case
            when not per_deal_stage.is_in_stage then cast(per_deal_stage.days_in_stage as integer)
        end as days_in_stage
    from first_entries
    inner join per_deal_stage
        on
            first_entries.deal_id = per_deal_stage.deal_id
            and first_entries.stage = per_deal_stage.stage
    inner join deals
        on first_entries.deal_id = deals.deal_id
    -- stay n was opened by event n - 1 (creation opens the first)
    left join history as opening_events
        on
            first_entries.deal_id = opening_events.deal_id
            and first_entries.period_number - 1 = opening_events.event_number
)

select * from final
