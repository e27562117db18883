{#- Salesforce opportunity field history in the canonical deal_changes shape
    (int_deal_changes' source branch): the tracked key fields only. -#}
with field_history as (
    select * from {{ ref('stg_salesforce__opportunity_field_history') }}
    where not coalesce(is_deleted, false)
),

final as (
    select
        opportunity_field_history_id as change_id,
        'salesforce' as source,
        opportunity_id as deal_id,
        case field
            when 'StageName' then 'stage'
            when 'Amount' then 'amount'
            when 'CloseDate' then 'close_date'
            when 'ForecastCategoryName' then 'forecast_category'
            when 'NextStep' then 'next_step'
            when 'Owner' then 'owner'
        end as field,
        old_value,
        new_value,
        created_by_id as changed_by,
        created_at as changed_at
    from field_history
    where
        field in ('StageName', 'Amount', 'CloseDate', 'ForecastCategoryName', 'NextStep', 'Owner')
        -- Owner changes are logged twice, as user ids (EntityId) and as names (Text)
        and (field != 'Owner' or data_type = 'EntityId')
)

select * from final
