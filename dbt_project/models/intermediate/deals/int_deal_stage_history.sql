{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='deal_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ incremental_delete_changed('deal_id', deal_change_inputs(), deal_stage_references()) }}",
    post_hook="{{ incremental_record_build(deal_change_inputs(), deal_stage_references()) }}",
) }}

{#- Every stage event of a live deal, whatever the as-of date (the YAML says more): what
    depends on as_of (the stay running then, an owner period still running then) is left
    to the cuts int_deal_stage_periods, int_stage_transitions and int_stage_entries.
    Incremental by deal on DuckDB, as int_deal_field_history. -#}
-- parsed unconditionally, so dbt sees the inputs the hooks and the scope ref():
{%- do deal_change_inputs() + deal_stage_references() %}
{%- set scope = incremental_scope(deal_change_inputs(), deal_stage_references())
    if incremental_enabled() and is_incremental() else none -%}
{%- set partial = scope is not none and not scope.full %}
{%- set changed_deals_filter = '\n        and deal_id in ('
    ~ incremental_changed_deals(deal_change_inputs(), scope) ~ ')'
    if partial else '' %}

with deals as (
    -- the record's own columns only: the quarantine verdict beside them depends on as_of
    select deal_id, source, pipeline, created_at, created_on
    from {{ ref('int_deals_screened') }}
    where
        not is_deleted
        {{- changed_deals_filter }}
),

stages as (
    select * from {{ ref('int_stages') }}
),

-- a change without a date is on no day: it ends no stay (as in int_deal_field_history)
stage_changes as (
    select
        deal_id,
        change_id,
        old_value,
        new_value,
        changed_by,
        changed_at,
        changed_on,
        row_number() over deal_changes as change_number,
        lag(changed_at) over deal_changes as previous_changed_at,
        lag(changed_on) over deal_changes as previous_changed_on,
        lead(changed_on) over deal_changes as next_changed_on
    from {{ ref('int_deal_changes') }}
    where
        field = 'stage'
        and changed_on is not null
        {{- changed_deals_filter }}
    window deal_changes as (partition by deal_id order by changed_at, change_id)
),

owner_changes as (
    select * from {{ ref('int_deal_field_history') }}
    where
        field = 'owner'
        {{- changed_deals_filter }}
),

-- The owner periods of the whole logged history (int_deal_field_periods cuts the
-- same periods at as_of): before its first change the owner was the change's old value.
owner_periods as (
    select
        deal_id,
        old_value as owner_id,
        cast(null as {{ type_timestamptz() }}) as valid_from,
        changed_at as valid_to,
        changed_on as valid_to_on
    from owner_changes
    where change_number = 1
    union all
    select
        deal_id,
        new_value as owner_id,
        changed_at as valid_from,
        next_changed_at as valid_to,
        next_changed_on as valid_to_on
    from owner_changes
),

events as (
    select
        deals.deal_id,
        0 as event_number,
        cast(null as string) as change_id,
        cast(null as string) as from_stage,
        cast(null as string) as to_stage,
        cast(null as string) as changed_by,
        deals.created_at as occurred_at,
        deals.created_on as occurred_on,
        cast(null as {{ type_timestamptz() }}) as from_stage_entered_at,
        cast(null as date) as from_stage_entered_on,
        first_changes.changed_on as next_changed_on
    from deals
    left join stage_changes as first_changes
        on
            deals.deal_id = first_changes.deal_id
            and first_changes.change_number = 1
    union all
    -- the stay a change ends began at the previous change, or at creation
    select
        stage_changes.deal_id,
        stage_changes.change_number as event_number,
        stage_changes.change_id,
        stage_changes.old_value as from_stage,
        stage_changes.new_value as to_stage,
        stage_changes.changed_by,
        stage_changes.changed_at as occurred_at,
        stage_changes.changed_on as occurred_on,
        coalesce(stage_changes.previous_changed_at, deals.created_at) as from_stage_entered_at,
        coalesce(stage_changes.previous_changed_on, deals.created_on) as from_stage_entered_on,
        stage_changes.next_changed_on
    from stage_changes
    inner join deals
        on stage_changes.deal_id = deals.deal_id
),

placed as (
    select
        events.*,
        deals.source,
        deals.pipeline,
        from_stages.stage_order as from_stage_order,
        to_stages.stage_order as to_stage_order,
        from_stages.funnel_order as from_funnel_order,
        to_stages.funnel_order as to_funnel_order,
        coalesce(to_stages.is_closed, false) as to_closed
    from events
    inner join deals
        on events.deal_id = deals.deal_id
    left join stages as from_stages
        on
            deals.source = from_stages.source
            and deals.pipeline = from_stages.pipeline
            and events.from_stage = from_stages.stage
    left join stages as to_stages
        on
            deals.source = to_stages.source
            and deals.pipeline = to_stages.pipeline
            and events.to_stage = to_stages.stage
),

final as (
    select
        placed.deal_id || ':' || placed.event_number as stage_event_id,
        placed.deal_id,
        placed.source,
        placed.pipeline,
        cast(placed.event_number as integer) as event_number,
        placed.change_id,
        placed.from_stage,
        placed.to_stage,
        placed.from_stage_order,
        placed.to_stage_order,
        placed.from_funnel_order,
        placed.to_funnel_order,
        placed.changed_by,
        placed.occurred_at,
        placed.occurred_on,
        placed.next_changed_on,
        placed.from_stage_entered_at,
        placed.from_stage_entered_on,
        -- a change logged before the deal's created date is a data error, not negative
        -- time; an unknown entry date (unparseable created date) stays unknown
        case
            when placed.from_stage_entered_on is not null
                then cast(
                    greatest(
                        {{ days_between('placed.from_stage_entered_on', 'placed.occurred_on') }}, 0
                    ) as integer
                )
        end as days_in_from_stage,
        -- forward: up the funnel between known stages (moves to a lost stage are not)
        coalesce(placed.to_funnel_order > placed.from_funnel_order, false) as is_forward,
        -- a skip jumps over at least one open stage (2 -> 4, or 3 -> won with 5 open stages)
        coalesce(placed.to_funnel_order - placed.from_funnel_order > 1, false) as is_skip,
        cast(
            case
                when placed.to_funnel_order > placed.from_funnel_order
                    then placed.to_funnel_order - placed.from_funnel_order - 1
            end as integer
        ) as stages_skipped,
        -- back into an earlier open stage, including reopening a closed deal
        coalesce(
            not placed.to_closed and placed.to_stage_order < placed.from_stage_order, false
        ) as is_regression,
        owner_periods.owner_id as logged_owner_id,
        owner_periods.valid_to_on as logged_owner_until
    from placed
    left join owner_periods
        on
            placed.deal_id = owner_periods.deal_id
            and coalesce(placed.occurred_at, {{ timestamp_min() }})
            >= coalesce(owner_periods.valid_from, {{ timestamp_min() }})
            and coalesce(placed.occurred_at, {{ timestamp_min() }})
            < coalesce(owner_periods.valid_to, {{ timestamp_max() }})
)

select * from final
