{#- The CRM's side of the pipeline reconciliation: every landed live deal (not
    deleted, created by as_of), quarantined or not, with the open state and value
    it has in the CRM today (what the CRM's own pipeline report adds up) and, for a
    deal the metrics read, the state and value it had on as_of (int_deals_as_of,
    what fct_deals holds). The one place the reconciliation turns an amount into a
    value: the corporate-currency amount (as fct_deals.amount), negative ones
    included, as the CRM's own report sums them. -#}

with screened as (
    select * from {{ ref('int_deals_screened') }}
    where
        not is_deleted
        and (created_on <= {{ as_of_date() }} or created_on is null)
),

deals_as_of as (
    select * from {{ ref('int_deals_as_of') }}
),

final as (
    select
        screened.deal_id,
        {{ list_length('screened.quarantine_problems') }} > 0 as is_quarantined,
        not screened.is_closed as is_open_in_crm,
        coalesce(screened.amount, 0) as crm_value,
        -- null for a quarantined deal: the metrics never see it
        not deals_as_of.is_closed as is_open_on_as_of,
        coalesce(deals_as_of.amount, 0) as value_on_as_of
    from screened
    left join deals_as_of
        on screened.deal_id = deals_as_of.deal_id
)

select * from final
