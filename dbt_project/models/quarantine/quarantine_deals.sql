{{ config(alias='deals') }}

{#- Deals kept out of the metrics: one row per problem (macros/quarantine.sql). -#}
with problems as (
    select
        deal_id,
        source,
        owner_id,
        name,
        is_closed,
        amount,
        {{ unnest_item('quarantine_problems', 'problem') }}
    from {{ ref('int_deals_screened') }}
    where {{ list_length('quarantine_problems') }} > 0
)

select
    deal_id,
    source,
    problem.reason as reason,
    problem.field as field,
    problem.value as value,
    owner_id,
    name,
    is_closed,
    amount,
    {{ as_of_date() }} as as_of
from problems
