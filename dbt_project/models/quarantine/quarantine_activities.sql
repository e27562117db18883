{{ config(alias='activities') }}

{#- Activities kept out of the metrics: one row per problem (macros/quarantine.sql). -#}
with problems as (
    select
        activity_id,
        source,
        type,
        deal_id,
        owner_id,
        created_at,
        {{ unnest_item('quarantine_problems', 'problem') }}
    from {{ ref('int_activities_screened') }}
    where {{ list_length('quarantine_problems') }} > 0
)

select
    activity_id,
    source,
    problem.reason as reason,
    problem.field as field,
    problem.value as value,
    type,
    deal_id,
    owner_id,
    created_at,
    {{ as_of_date() }} as as_of
from problems
