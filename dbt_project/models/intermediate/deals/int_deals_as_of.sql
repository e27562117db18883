{{ config(materialized='table') }}

with deals as (
    select * from {{ ref('int_deals') }}
    where
        not is_deleted
        -- deals created after as_of did not exist yet; an unparseable created date is kept
        and (created_on <= {{ as_of_date() }} or created_on is null)
),

stages as (
    select * from {{ ref('int_stages') }}
),

-- The first change of a field after as_of holds, as its old value, the value the
-- field had on as_of. Fields with no later change still have it today.
first_later_changes as (
    -- the first row of each group, ranked in a subquery: QUALIFY is not in Spark 3.5
    select
        deal_id,
        field,
        old_value
    from (
        select
            deal_id,
            field,
            old_value,
            row_number() over (
                partition by deal_id, field order by change_number
            ) as change_rank
        from {{ ref('int_deal_field_history') }}
        where changed_on > {{ as_of_date() }}
    ) as ranked
    where change_rank = 1
),

values_on_as_of as (
    select
        deal_id,
        bool_or(field = 'stage') as stage_changed_later,
        max(old_value) filter (where field = 'stage') as stage,
        bool_or(field = 'amount') as amount_changed_later,
        max(old_value) filter (where field = 'amount') as amount,
        bool_or(field = 'close_date') as close_date_changed_later,
        max(old_value) filter (where field = 'close_date') as close_date,
        bool_or(field = 'forecast_category') as forecast_category_changed_later,
        max(old_value) filter (where field = 'forecast_category') as forecast_category,
        bool_or(field = 'next_step') as next_step_changed_later,
        max(old_value) filter (where field = 'next_step') as next_step,
        bool_or(field = 'owner') as owner_changed_later,
        max(old_value) filter (where field = 'owner') as owner_id
    from first_later_changes
    group by deal_id
),

rolled_back as (
    select
        deals.deal_id,
        deals.source,
        deals.pipeline,
        deals.name,
        deals.account_id,
        case
            when later.owner_changed_later then later.owner_id
            else deals.owner_id
        end as owner_id,
        coalesce(later.stage_changed_later, false) as stage_changed_later,
        case
            when later.stage_changed_later then later.stage
            else deals.stage
        end as stage,
        case
            when later.amount_changed_later then try_cast(later.amount as double)
            else deals.amount
        end as amount,
        -- history amounts are corporate: back to the deal's currency with its rate
        case
            when later.amount_changed_later
                then round(try_cast(later.amount as double) * deals.conversion_rate, 2)
            else deals.amount_original
        end as amount_original,
        deals.currency_code,
        case
            when later.close_date_changed_later then try_cast(later.close_date as date)
            else deals.close_date
        end as close_date,
        case
            when later.forecast_category_changed_later then later.forecast_category
            else deals.forecast_category
        end as forecast_category,
        case
            when later.next_step_changed_later then later.next_step
            else deals.next_step
        end as next_step,
        deals.is_closed,
        deals.is_won,
        deals.created_at,
        deals.created_on,
        deals.last_activity_date
    from deals
    left join values_on_as_of as later
        on deals.deal_id = later.deal_id
),

final as (
    select
        rolled_back.deal_id,
        rolled_back.source,
        rolled_back.pipeline,
        rolled_back.name,
        rolled_back.account_id,
        rolled_back.owner_id,
        rolled_back.stage,
        stages.stage_order,
        rolled_back.amount,
        rolled_back.amount_original,
        rolled_back.currency_code,
        rolled_back.close_date,
        rolled_back.forecast_category,
        rolled_back.next_step,
        -- closed/won follow the stage held on as_of; the deal's own flags when that
        -- stage is today's or is not a known stage
        case
            when rolled_back.stage_changed_later
                then coalesce(stages.is_closed, rolled_back.is_closed)
            else rolled_back.is_closed
        end as is_closed,
        case
            when rolled_back.stage_changed_later
                then coalesce(stages.is_won, rolled_back.is_won)
            else rolled_back.is_won
        end as is_won,
        rolled_back.created_at,
        rolled_back.created_on,
        -- Opportunity.LastActivityDate is today's value: usable only if not after as_of
        case
            when rolled_back.last_activity_date <= {{ as_of_date() }}
                then rolled_back.last_activity_date
        end as last_activity_date,
        {{ as_of_date() }} as as_of
    from rolled_back
    left join stages
        on
            rolled_back.source = stages.source
            and rolled_back.pipeline = stages.pipeline
            and rolled_back.stage = stages.stage
)

select * from final
