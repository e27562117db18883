{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='deal_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ deal_action_delete_changed() }}",
    post_hook="{{ deal_action_record_build() }}",
) }}

{#- Everything anyone ever did on a deal, whatever the as-of date: the per-deal
    history int_deal_actions filters to as_of. Nothing here reads as_of, so it is
    incremental on DuckDB (macros/incremental/deal_actions.sql, README "Incremental
    models"): a night recomputes only the deals and activities whose raw rows the
    landing wrote since the last build. The owner at each action is the history's
    (owner_change_number: owner changes at or before it); int_deal_actions takes the
    deal's own owner on as_of instead for the period still running then. -#}
-- depends_on: {{ ref('stg_salesforce__opportunities') }}
-- depends_on: {{ ref('stg_salesforce__opportunity_field_history') }}
-- depends_on: {{ ref('stg_salesforce__currency_types') }}
-- depends_on: {{ ref('stg_salesforce__dated_conversion_rates') }}
-- depends_on: {{ ref('stg_salesforce__tasks') }}
-- depends_on: {{ ref('stg_salesforce__events') }}
-- depends_on: {{ ref('stg_hubspot__deals') }}
-- depends_on: {{ ref('stg_hubspot__deal_property_history') }}
-- depends_on: {{ ref('stg_hubspot__deal_stages') }}
-- depends_on: {{ ref('stg_hubspot__owners') }}
-- depends_on: {{ ref('stg_hubspot__calls') }}
-- depends_on: {{ ref('stg_hubspot__emails') }}
-- depends_on: {{ ref('stg_hubspot__meetings') }}
-- depends_on: {{ ref('stg_hubspot__notes') }}
-- depends_on: {{ ref('stg_hubspot__tasks') }}
-- depends_on: {{ ref('stg_hubspot__engagement_deal_associations') }}

{#- An incremental build (deal_action_scope()) reads only the deals it rebuilds:
    those with a changed raw row and those a changed activity is now on. -#}
{%- set scope = deal_action_scope() if incremental_enabled() and is_incremental() else none -%}
{%- set partial = scope is not none and not scope.full %}

with crm_activities as (
    select activity_id, type, deal_id, owner_id, created_by, created_at
    from {{ ref('int_salesforce__activities') }}
    union all
    select activity_id, type, deal_id, owner_id, created_by, created_at
    from {{ ref('int_hubspot__activities') }}
),
{%- if partial %}

rebuilt_deals as (
    {{ incremental_changed_deal_ids(deal_action_deal_inputs(), scope.watermark) }}
    union
    select deal_id from crm_activities
    where activity_id in (
        {{ incremental_changed_deal_ids(deal_action_activity_inputs(), scope.watermark) }}
    )
),
{%- endif %}

changes as (
    -- a change without a date is on no day: never an action, never an owner period
    select * from {{ ref('int_deal_changes') }}
    where
        changed_on is not null
        {%- if partial %}
        and deal_id in (select deal_id from rebuilt_deals)
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
        {{ local_date('created_at') }} as acted_on,
        false as is_forecast_override
    -- every canonical activity on a deal, quarantined or not: which ones are valid
    -- depends on as_of (int_activities_screened), int_deal_actions keeps those
    from crm_activities
    where
        deal_id is not null
        {%- if partial %}
        and deal_id in (select deal_id from rebuilt_deals)
        {%- endif %}
),

actions as (
    select * from field_actions
    union all
    select * from activity_actions
),

owner_changes as (
    select
        deal_id,
        change_id,
        changed_at,
        old_value,
        new_value,
        row_number() over (partition by deal_id order by changed_at, change_id)
            as change_number
    from changes
    where field = 'owner'
),

-- The owner period an action falls in: the number of owner changes at or before
-- it (a change at the same instant opens the period the action is in), counted
-- over one time line of changes and actions per deal.
timeline as (
    select
        deal_id,
        action_id,
        acted_at as at_time,
        1 as event_order,
        0 as is_owner_change
    from actions
    where acted_at is not null
    union all
    select
        deal_id,
        change_id,
        changed_at,
        0,
        1
    from owner_changes
),

running_counts as (
    select
        deal_id,
        action_id,
        event_order,
        sum(is_owner_change) over (
            partition by deal_id
            order by at_time, event_order, action_id
            rows between unbounded preceding and current row
        ) as owner_change_number
    from timeline
),

counted as (
    select deal_id, action_id, owner_change_number
    from running_counts
    where event_order = 1
),

final as (
    select
        actions.action_id,
        actions.deal_id,
        actions.action_type,
        actions.field,
        actions.activity_type,
        actions.actor_id,
        actions.previous_owner_id,
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
        cast(counted.owner_change_number as integer) as owner_change_number,
        -- the owner in that period by the history: before the first change its old
        -- value (null with no change at all), then each change's new value
        case
            when counted.owner_change_number = 0 then first_owner_change.old_value
            else period_owner_change.new_value
        end as history_owner_id
    from actions
    inner join counted
        on
            actions.deal_id = counted.deal_id
            and actions.action_id = counted.action_id
    left join owner_changes as first_owner_change
        on
            actions.deal_id = first_owner_change.deal_id
            and first_owner_change.change_number = 1
    left join owner_changes as period_owner_change
        on
            actions.deal_id = period_owner_change.deal_id
            and counted.owner_change_number = period_owner_change.change_number
)

select * from final
