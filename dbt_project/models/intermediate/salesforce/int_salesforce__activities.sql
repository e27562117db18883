{#- Salesforce tasks and events in the canonical activities shape (int_activities'
    source branch), with the due date as sent when it did not parse
    (unparsed_date_text, quarantined by int_activities_screened). -#}
with tasks as (
    select * from {{ ref('stg_salesforce__tasks') }}
    where not coalesce(is_deleted, false)
),

events as (
    select * from {{ ref('stg_salesforce__events') }}
    where not coalesce(is_deleted, false)
),

salesforce_tasks as (
    select
        task_id as activity_id,
        'salesforce' as source,
        case
            when lower(task_subtype) = 'call' or lower(task_type) = 'call' then 'call'
            when lower(task_subtype) in ('email', 'listemail') or lower(task_type) = 'email'
                then 'email'
            when lower(task_type) = 'meeting' then 'meeting'
            else 'task'
        end as type,
        what_id,
        owner_id,
        created_by_id as created_by,
        created_at,
        -- ActivityDate is the (date-only) due date; undated tasks count when created
        coalesce({{ local_midnight('activity_date') }}, created_at) as occurred_at,
        coalesce(is_closed, false) as is_closed,
        -- the due date as sent when it did not parse (quarantined)
        case when activity_date is null then nullif(trim(activity_date_text), '') end
            as unparsed_date_text
    from tasks
),

salesforce_events as (
    select
        event_id as activity_id,
        'salesforce' as source,
        'meeting' as type,
        what_id,
        owner_id,
        created_by_id as created_by,
        created_at,
        coalesce(activity_at, created_at) as occurred_at,
        cast(null as boolean) as is_closed,
        cast(null as string) as unparsed_date_text
    from events
),

activities as (
    select * from salesforce_tasks
    union all
    select * from salesforce_events
),

final as (
    select
        activity_id,
        source,
        type,
        -- 006 is the Opportunity key prefix; other WhatIds are accounts, cases, ...
        case when what_id like '006%' then what_id end as deal_id,
        owner_id,
        created_by,
        created_at,
        occurred_at,
        is_closed,
        unparsed_date_text
    from activities
)

select * from final
