{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='action_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ deal_action_delete_changed() }}",
    post_hook="{{ deal_action_record_build() }}",
) }}

{#- Everything anyone did on a live deal up to as_of, with the deal's owner at that
    moment: key-field changes, owner changes and activities logged or assigned on it.
    The base of the micromanagement signals (an intervention is an action by a leader
    of the owner). A forecast-category change made by the same save as a stage change
    is part of that stage move, not an action of its own.

    The largest table a night writes (9.6M rows at L), so incremental on DuckDB
    (macros/incremental_as_of.sql): a night recomputes the deals whose inputs landed
    or whose dated events the new as_of crossed, and the activities that landed. -#}
-- parsed unconditionally, so dbt sees the inputs the hooks and the scope ref():
{%- do deal_action_inputs() + deal_action_references() + deal_action_as_of_events() %}
{%- set scope = deal_action_scope() if incremental_enabled() and is_incremental() else none -%}
{%- set partial = scope is not none and not scope.full %}

with deals as (
    select * from {{ ref('int_deals_as_of') }}
),

outcomes as (
    select * from {{ ref('int_deal_outcomes') }}
),

owner_periods as (
    select * from {{ ref('int_deal_field_periods') }}
    where field = 'owner'
),

changes as (
    select * from {{ ref('int_deal_field_history') }}
    where
        changed_on <= {{ as_of_date() }}
        {%- if partial %}
        and deal_id in ({{ deal_action_changed_deals(scope) }})
        {%- endif %}
),

stage_saves as (
    select distinct
        deal_id,
        changed_by,
        changed_at
    from changes
    where field = 'stage'
),

field_actions as (
    select
        changes.change_id as action_id,
        changes.deal_id,
        case when changes.field = 'owner' then 'owner_change' else 'field_change' end
            as action_type,
        changes.field,
        cast(null as string) as activity_type,
        changes.changed_by as actor_id,
        -- an owner change acts on the owner it takes the deal away from
        case when changes.field = 'owner' then changes.old_value end as previous_owner_id,
        case when changes.field = 'owner' then changes.new_value end as new_owner_id,
        cast(null as string) as assignee_id,
        changes.changed_at as acted_at,
        changes.changed_on as acted_on,
        changes.field = 'forecast_category' and stage_saves.deal_id is null as is_forecast_override
    from changes
    left join stage_saves
        on
            changes.field = 'forecast_category'
            and changes.deal_id = stage_saves.deal_id
            and changes.changed_at = stage_saves.changed_at
            and changes.changed_by is not distinct from stage_saves.changed_by
    -- the forecast change a stage move causes belongs to that move
    where not (changes.field = 'forecast_category' and stage_saves.deal_id is not null)
),

activity_actions as (
    select
        activity_id as action_id,
        deal_id,
        'activity' as action_type,
        cast(null as string) as field,
        type as activity_type,
        created_by as actor_id,
        cast(null as string) as previous_owner_id,
        cast(null as string) as new_owner_id,
        owner_id as assignee_id,
        created_at as acted_at,
        created_on as acted_on,
        false as is_forecast_override
    from {{ ref('int_activities') }}
    where
        deal_id is not null
        and created_on <= {{ as_of_date() }}
        {%- if partial %}
        and (
            deal_id in ({{ deal_action_changed_deals(scope, either=true) }})
            or activity_id in ({{ deal_action_changed_activities(scope) }})
        )
        {%- endif %}
),

actions as (
    select * from field_actions
    union all
    select * from activity_actions
),

final as (
    select
        actions.action_id,
        deals.source,
        actions.deal_id,
        actions.action_type,
        actions.field,
        actions.activity_type,
        actions.actor_id,
        coalesce(actions.previous_owner_id, owner_periods.value) as owner_id,
        actions.new_owner_id,
        actions.assignee_id,
        actions.acted_at,
        actions.acted_on,
        cast(date_trunc('week', actions.acted_on) as date) as week_start,
        {{ iso_week('actions.acted_on') }} as iso_week,
        {{ fiscal_quarter_start('actions.acted_on') }} as quarter_start,
        actions.acted_on
        > {{ fiscal_quarter_next_start('actions.acted_on') }}
        - interval {{ (var('late_quarter_days') | int) + 1 }} day as is_late_quarter,
        actions.action_type = 'field_change'
        and actions.field in ('stage', 'amount', 'close_date', 'forecast_category', 'next_step')
            as is_key_field_change,
        actions.is_forecast_override,
        -- open when it happened: before the deal closed (or it is still open)
        coalesce(actions.acted_at < outcomes.closed_at, not outcomes.is_closed, true)
            as is_deal_open
    from actions
    inner join deals
        on actions.deal_id = deals.deal_id
    left join outcomes
        on actions.deal_id = outcomes.deal_id
    left join owner_periods
        on
            actions.deal_id = owner_periods.deal_id
            and actions.acted_at >= coalesce(owner_periods.valid_from, {{ timestamp_min() }})
            and actions.acted_at < coalesce(owner_periods.valid_to, {{ timestamp_max() }})
    where actions.acted_on is not null
)

select * from final
