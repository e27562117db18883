{#- Per deal, the rate that turns its amounts into the portal's home currency, in
    Salesforce's sense (units of the deal's currency per home unit): HubSpot gives
    no rates, only amount_in_home_currency, so the rate is amount / that. The
    deal's amount history converts with it, as Salesforce's does with its one rate. -#}
with deals as (
    select * from {{ ref('stg_hubspot__deals') }}
),

final as (
    select
        deal_id,
        currency_code,
        -- no currency code: amounts are in the home currency already; an empty or
        -- zero amount leaves no rate to derive (its history cannot be converted)
        case
            when currency_code is null then 1.0
            else amount / nullif(amount_in_home_currency, 0)
        end as conversion_rate
    from deals
)

select * from final
