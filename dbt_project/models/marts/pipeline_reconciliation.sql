{#- How the marts' open pipeline reconciles with the CRM's own, on as_of: the
    CRM's open deals (every landed live deal, as the CRM holds it today) minus the
    quarantined ones (kept out of the metrics: quarantine.deals says why) minus
    the change since as_of of the others (a deal closed or re-valued after a
    back-dated as_of; zero on a nightly run) must leave exactly fct_deals' open
    deals. What is left over is unexplained, and a test requires it to be zero. -#}

with deals as (
    select * from {{ ref('int_deal_open_values') }}
),

marts as (
    select
        count(*) as mart_open_deals,
        coalesce({{ exact_sum('amount') }}, 0) as mart_open_value
    from {{ ref('fct_deals') }}
    where not is_closed
),

crm as (
    select
        count(*) filter (where is_open_in_crm) as crm_open_deals,
        coalesce({{ exact_sum('crm_value', 'is_open_in_crm') }}, 0) as crm_open_value,
        count(*) filter (where is_open_in_crm and is_quarantined) as quarantined_open_deals,
        coalesce({{ exact_sum('crm_value', 'is_open_in_crm and is_quarantined') }}, 0)
            as quarantined_open_value,
        count(*) filter (where is_open_in_crm and not is_quarantined)
        - count(*) filter (where is_open_on_as_of) as changed_since_as_of_open_deals,
        coalesce({{ exact_sum('crm_value', 'is_open_in_crm and not is_quarantined') }}, 0)
        - coalesce({{ exact_sum('value_on_as_of', 'is_open_on_as_of') }}, 0)
            as changed_since_as_of_open_value
    from deals
),

final as (
    select
        {{ as_of_date() }} as as_of,
        cast(crm.crm_open_deals as integer) as crm_open_deals,
        cast(crm.crm_open_value as double) as crm_open_value,
        cast(marts.mart_open_deals as integer) as mart_open_deals,
        cast(marts.mart_open_value as double) as mart_open_value,
        cast(crm.quarantined_open_deals as integer) as quarantined_open_deals,
        cast(crm.quarantined_open_value as double) as quarantined_open_value,
        cast(crm.changed_since_as_of_open_deals as integer) as changed_since_as_of_open_deals,
        cast(crm.changed_since_as_of_open_value as double) as changed_since_as_of_open_value,
        cast(
            crm.crm_open_deals - crm.quarantined_open_deals - crm.changed_since_as_of_open_deals
            - marts.mart_open_deals as integer
        ) as unexplained_open_deals,
        -- rounded to the cent: the sums are exact decimals, the difference is not
        round(
            crm.crm_open_value - crm.quarantined_open_value - crm.changed_since_as_of_open_value
            - marts.mart_open_value,
            2
        ) as unexplained_difference
    from crm
    cross join marts
)

select * from final
