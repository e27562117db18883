{{ config(materialized='table') }}

{#- Every canonical deal, with the problems that keep it out of the metrics
    (quarantine_problems: empty for a valid deal). int_deals keeps the valid deals;
    quarantine.deals lists the others with their reasons (macros/quarantine.sql).
    A table, as the models reading int_deals would each repeat the joins. -#}
with all_deals as (
    select
        deal_id, source, pipeline, name, account_id, owner_id, stage, amount, amount_original,
        currency_code, conversion_rate, close_date, close_date_text, probability,
        forecast_category, next_step, is_closed, is_won, is_deleted, created_at, created_by,
        last_activity_date
    from {{ ref('int_salesforce__deals') }}
    union all
    select
        deal_id, source, pipeline, name, account_id, owner_id, stage, amount, amount_original,
        currency_code, conversion_rate, close_date, close_date_text, probability,
        forecast_category, next_step, is_closed, is_won, is_deleted, created_at, created_by,
        last_activity_date
    from {{ ref('int_hubspot__deals') }}
),

stages as (
    select * from {{ ref('int_stages') }}
),

users as (
    select * from {{ ref('int_users') }}
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
        deals.amount_original,
        deals.currency_code,
        deals.conversion_rate,
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
        deals.last_activity_date,
        {{ quarantine_problems([
            unparseable_date_rule('deals.close_date', 'deals.close_date_text', 'close_date'),
            absurd_date_rule('deals.close_date', 'close_date'),
            quarantine_rule('deals.amount < 0', 'negative_amount', 'amount', 'deals.amount'),
            unknown_currency_rule('deals'),
            quarantine_rule('stages.stage_order is null', 'unknown_stage', 'stage', 'deals.stage'),
            orphan_rule('deals.owner_id', 'owners.user_id', 'orphan_owner', 'owner_id'),
        ]) }} as quarantine_problems
    from all_deals as deals
    -- a stage its pipeline does not list has a null stage_order: quarantined
    left join stages
        on
            deals.source = stages.source
            and deals.pipeline = stages.pipeline
            and deals.stage = stages.stage
    left join users as owners
        on deals.owner_id = owners.user_id
)

select * from final
