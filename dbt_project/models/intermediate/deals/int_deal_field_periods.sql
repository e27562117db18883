{{ config(materialized='table') }}

{#- The value each key field of a deal held over time, up to as_of: the first
    period runs from the deal's creation (valid_from null) to its first change;
    each change opens the next period. A field never changed has one period with
    its value on as_of. -#}

{% set fields = ['stage', 'amount', 'close_date', 'forecast_category', 'next_step', 'owner'] %}

with deals as (
    select * from {{ ref('int_deals_as_of') }}
),

changes as (
    select
        deal_id,
        field,
        old_value,
        new_value,
        changed_by,
        changed_at,
        row_number() over (partition by deal_id, field order by changed_at, change_id)
            as change_number
    from {{ ref('int_deal_changes') }}
    where changed_on <= {{ as_of_date() }}
),

values_on_as_of as (
    {% for field in fields %}
    select
        deal_id,
        '{{ field }}' as field,
        cast({{ 'owner_id' if field == 'owner' else field }} as string) as value_on_as_of
    from deals
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

first_periods as (
    select
        values_on_as_of.deal_id,
        values_on_as_of.field,
        0 as change_number,
        -- before any change the field held the first change's old value
        case
            when first_changes.deal_id is not null then first_changes.old_value
            else values_on_as_of.value_on_as_of
        end as value,
        cast(null as string) as changed_by,
        cast(null as {{ type_timestamptz() }}) as valid_from
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
        changes.field,
        changes.change_number,
        changes.new_value as value,
        changes.changed_by,
        changes.changed_at as valid_from
    from changes
    inner join deals
        on changes.deal_id = deals.deal_id
),

periods as (
    select * from first_periods
    union all
    select * from changed_periods
),

bounded as (
    select
        *,
        lead(valid_from) over (partition by deal_id, field order by change_number) as valid_to
    from periods
),

final as (
    select
        bounded.deal_id,
        deals.source,
        bounded.field,
        cast(bounded.change_number + 1 as integer) as period_number,
        -- the period still running on as_of holds the deal's own value then (history
        -- can miss a change the record has)
        case
            when bounded.valid_to is null then values_on_as_of.value_on_as_of
            else bounded.value
        end as value,
        bounded.changed_by,
        bounded.valid_from,
        bounded.valid_to
    from bounded
    inner join deals
        on bounded.deal_id = deals.deal_id
    inner join values_on_as_of
        on
            bounded.deal_id = values_on_as_of.deal_id
            and bounded.field = values_on_as_of.field
)

select * from final
