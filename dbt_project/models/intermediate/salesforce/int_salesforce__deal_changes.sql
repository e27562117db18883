{#- Salesforce opportunity field history in the canonical deal_changes shape
    (int_deal_changes' source branch): the tracked key fields only. -#}
with field_history as (
    select * from {{ ref('stg_salesforce__opportunity_field_history') }}
    where not coalesce(is_deleted, false)
),

rates as (
    select * from {{ ref('int_salesforce__deal_conversion_rates') }}
),

final as (
    select
        field_history.opportunity_field_history_id as change_id,
        'salesforce' as source,
        field_history.opportunity_id as deal_id,
        case field_history.field
            when 'StageName' then 'stage'
            when 'Amount' then 'amount'
            when 'CloseDate' then 'close_date'
            when 'ForecastCategoryName' then 'forecast_category'
            when 'NextStep' then 'next_step'
            when 'Owner' then 'owner'
        end as field,
        case
            when field_history.field = 'Amount'
                then {{ corporate_amount_text(
                    'field_history.old_value', 'rates.currency_code', 'rates.conversion_rate'
                ) }}
            else field_history.old_value
        end as old_value,
        case
            when field_history.field = 'Amount'
                then {{ corporate_amount_text(
                    'field_history.new_value', 'rates.currency_code', 'rates.conversion_rate'
                ) }}
            else field_history.new_value
        end as new_value,
        field_history.created_by_id as changed_by,
        field_history.created_at as changed_at
    from field_history
    -- history amounts are in the opportunity's own currency
    left join rates
        on field_history.opportunity_id = rates.deal_id
    where
        field_history.field in (
            'StageName', 'Amount', 'CloseDate', 'ForecastCategoryName', 'NextStep', 'Owner'
        )
        -- Owner changes are logged twice, as user ids (EntityId) and as names (Text)
        and (field_history.field != 'Owner' or field_history.data_type = 'EntityId')
)

select * from final
