with opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

stages as (
    select * from {{ ref('int_stages') }}
),

salesforce_deals as (
    select
        opportunity_id as deal_id,
        'salesforce' as source,
        'default' as pipeline,
        opportunity_name as name,
        account_id,
        owner_id,
        stage_name as stage,
        amount,
        close_date,
        probability,
        forecast_category_name as forecast_category,
        next_step,
        is_closed,
        is_won,
        coalesce(is_deleted, false) as is_deleted,
        created_at,
        created_by_id as created_by,
        last_activity_date
    from opportunities
),

all_deals as (
    select * from salesforce_deals
    union all
    select
        deal_id, source, pipeline, name, account_id, owner_id, stage, amount, close_date,
        probability, forecast_category, next_step, is_closed, is_won, is_deleted, created_at,
        created_by, last_activity_date
    from {{ ref('int_hubspot__deals') }}
),

final as (
    select
        deals.deal_id,
        deals.source,
        deals.pipeline,
        deals.name,
        deals.account_id,
        deals.owner_id,
        deals.stage,
        stages.stage_order,
        deals.amount,
        deals.close_date,
        deals.probability,
        deals.forecast_category,
        deals.next_step,
        coalesce(deals.is_closed, stages.is_closed, false) as is_closed,
        coalesce(deals.is_won, stages.is_won, false) as is_won,
        deals.is_deleted,
        deals.created_at,
        {{ local_date('deals.created_at') }} as created_on,
        deals.created_by,
        deals.last_activity_date
    from all_deals as deals
    -- unknown stages keep the deal with a null stage_order
    left join stages
        on
            deals.source = stages.source
            and deals.pipeline = stages.pipeline
            and deals.stage = stages.stage
)

select * from final
