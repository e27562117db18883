{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='deal_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ deal_period_delete_changed() }}",
    post_hook="{{ deal_period_record_build() }}",
) }}

{#- The value each key field of a deal held over time, up to as_of: the first
    period runs from the deal's creation (valid_from null) to its first change;
    each change opens the next period. A field never changed has one period with
    its value on as_of.

    The as-of part of int_deal_field_history (every change numbered, incremental
    by deal): its changes up to as_of, a period ending at the next change only if
    that came by as_of.

    Incremental by deal across as-of dates on DuckDB (macros/incremental_as_of.sql):
    a night recomputes the deals whose inputs landed or whose changes, creation or
    quarantine horizon the new as_of crossed. -#}
-- parsed unconditionally, so dbt sees the inputs the hooks and the scope ref():
{%- do deal_change_inputs() + deal_action_references() + deal_period_as_of_events() %}
{%- set scope = deal_period_scope() if incremental_enabled() and is_incremental() else none -%}
{%- set partial = scope is not none and not scope.full %}
{%- set changed_deals_filter = 'deal_id in (' ~ deal_period_changed_deals(scope) ~ ')'
    if partial else '' %}

{% set fields = ['stage', 'amount', 'close_date', 'forecast_category', 'next_step', 'owner'] %}

with deals as (
    select * from {{ ref('int_deals_as_of') }}
    {%- if partial %}
    where {{ changed_deals_filter }}
    {%- endif %}
),

changes as (
    select * from {{ ref('int_deal_field_history') }}
    where
        changed_on <= {{ as_of_date() }}
        {%- if partial %}
        and {{ changed_deals_filter }}
        {%- endif %}
),

values_on_as_of as (
    {% for field in fields %}
    select
        deal_id,
        source,
        '{{ field }}' as field,
        cast({{ 'owner_id' if field == 'owner' else field }} as string) as value_on_as_of
    from deals
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- Each branch joins the deal's value on as_of once: the period still running on
-- as_of holds it (history can miss a change the record has).
first_periods as (
    select
        values_on_as_of.deal_id,
        values_on_as_of.source,
        values_on_as_of.field,
        cast(1 as integer) as period_number,
        -- before any change the field held the first change's old value
        case
            when first_changes.deal_id is not null then first_changes.old_value
            else values_on_as_of.value_on_as_of
        end as value,
        cast(null as string) as changed_by,
        cast(null as {{ type_timestamptz() }}) as valid_from,
        first_changes.changed_at as valid_to
    from values_on_as_of
    left join changes as first_changes
        on
            values_on_as_of.deal_id = first_changes.deal_id
            and values_on_as_of.field = first_changes.field
            and first_changes.change_number = 1
),

changed_periods as (
    select
        changes.deal_id,
        values_on_as_of.source,
        changes.field,
        cast(changes.change_number + 1 as integer) as period_number,
        -- a change after as_of has not happened yet: the period is still running
        case
            when changes.next_changed_on <= {{ as_of_date() }} then changes.new_value
            else values_on_as_of.value_on_as_of
        end as value,
        changes.changed_by,
        changes.changed_at as valid_from,
        case
            when changes.next_changed_on <= {{ as_of_date() }} then changes.next_changed_at
        end as valid_to
    from changes
    inner join values_on_as_of
        on
            changes.deal_id = values_on_as_of.deal_id
            and changes.field = values_on_as_of.field
),

final as (
    select * from first_periods
    union all
    select * from changed_periods
)

select * from final
