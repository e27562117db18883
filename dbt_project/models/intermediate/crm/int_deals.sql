{#- The deals the metrics read: every canonical deal without a quarantine problem. -#}
select
    deal_id,
    source,
    pipeline,
    name,
    account_id,
    owner_id,
    stage,
    stage_order,
    amount,
    amount_original,
    currency_code,
    conversion_rate,
    close_date,
    probability,
    forecast_category,
    next_step,
    is_closed,
    is_won,
    is_deleted,
    created_at,
    created_on,
    created_by,
    last_activity_date
from {{ ref('int_deals_screened') }}
where {{ list_length('quarantine_problems') }} = 0
