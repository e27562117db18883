{{ config(materialized='ephemeral') }}

{#- Org-wide values of K1 (the stalest raw table's age, naming it and the empty ones)
    and K2 (share of live deals with change history, with the fields tracked). Part
    of int_metric_org_values. -#}

with deals as (
    select * from {{ ref('fct_deals') }}
),

freshness as (
    select * from {{ ref('int_source_freshness') }}
),

governance_inputs as (
    select
        'K1' as metric_id,
        max(freshness_hours) as org_value,
        'stalest: ' || coalesce(
            {{ first_value_by('table_name', 'freshness_hours desc nulls last, table_name asc') }},
            'none'
        )
        || coalesce(
            '; empty: '
            || {{ string_agg_ordered(
                'table_name', ', ', 'table_name', where="freshness_status = 'empty'"
            ) }},
            ''
        ) as note
    from freshness
    union all
    select
        'K2',
        -- K2: share of deals with change history
        (
            select count(distinct changes.deal_id)
            from {{ ref('int_deal_field_history') }} as changes
            inner join deals on changes.deal_id = deals.deal_id
            where changes.changed_on <= {{ as_of_date() }}
        ) / nullif((select count(*) from deals), 0),
        'tracked fields in the history: ' || coalesce((
            select {{ string_agg_ordered('field', ', ', 'field', distinct_values=true) }}
            from {{ ref('int_deal_field_history') }}
            where changed_on <= {{ as_of_date() }}
        ), 'none')
),

final as (
    select
        metric_id,
        cast(org_value as double) as org_value,
        cast(null as double) as threshold_value,
        note
    from governance_inputs
)

select * from final
