{#- Per opportunity, the rate that turns its amounts into the corporate currency,
    as Salesforce converts opportunities: the dated rate whose [start_date,
    next_start_date) holds the close date when the org has dated rates for the
    currency (advanced currency management), else the CurrencyType rate. A rate is
    units of the deal's currency per corporate unit: corporate = amount / rate.
    One rate per deal, its amount history included: a push of value is then a
    change the rep made, never a rate that moved. -#}
with opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

currency_types as (
    select * from {{ ref('stg_salesforce__currency_types') }}
),

dated_rates as (
    select * from {{ ref('stg_salesforce__dated_conversion_rates') }}
),

final as (
    select
        opportunities.opportunity_id as deal_id,
        opportunities.currency_code,
        -- a single-currency org has no currency code: amounts are corporate already;
        -- a currency without a (positive) rate gives null, and the deal is quarantined
        case
            when opportunities.currency_code is null then 1.0
            else nullif(coalesce(dated_rates.conversion_rate, currency_types.conversion_rate), 0)
        end as conversion_rate
    from opportunities
    left join currency_types
        on opportunities.currency_code = currency_types.currency_code
    left join dated_rates
        on
            opportunities.currency_code = dated_rates.currency_code
            and opportunities.close_date >= dated_rates.start_date
            and opportunities.close_date < dated_rates.next_start_date
)

select * from final
