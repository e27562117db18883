{#- HubSpot engagements in the canonical activities shape (int_activities'
    source branch). An engagement may be associated with several deals; the
    canonical grain is one row per activity, so it counts on its lowest deal id. -#}
with calls as (
    select * from {{ ref('stg_hubspot__calls') }}
),

emails as (
    select * from {{ ref('stg_hubspot__emails') }}
),

meetings as (
    select * from {{ ref('stg_hubspot__meetings') }}
),

notes as (
    select * from {{ ref('stg_hubspot__notes') }}
),

tasks as (
    select * from {{ ref('stg_hubspot__tasks') }}
),

deal_links as (
    select
        engagement_id,
        min(deal_id) as deal_id
    from (
        select
            engagement_id,
            {{ unnest_item('deal_ids', 'deal_id') }}
        from {{ ref('stg_hubspot__engagement_deal_associations') }}
    )
    group by engagement_id
),

user_owners as (
    select * from {{ ref('int_hubspot__owner_user_ids') }}
),

engagements as (
    select
        call_id as activity_id,
        'call' as type,
        owner_id,
        created_by_user_id,
        created_at,
        occurred_at,
        upper(status) = 'COMPLETED' as is_closed,
        is_archived
    from calls

    union all

    select
        email_id,
        'email',
        owner_id,
        created_by_user_id,
        created_at,
        occurred_at,
        -- a logged email has happened
        true,
        is_archived
    from emails

    union all

    select
        meeting_id,
        'meeting',
        owner_id,
        created_by_user_id,
        created_at,
        coalesce(start_at, occurred_at),
        -- held or called off; otherwise done once it took place (as events are)
        case
            when upper(outcome) = 'COMPLETED' then true
            when upper(outcome) in ('CANCELED', 'NO_SHOW') then false
        end,
        is_archived
    from meetings

    union all

    select
        note_id,
        'note',
        owner_id,
        created_by_user_id,
        created_at,
        occurred_at,
        true,
        is_archived
    from notes

    union all

    select
        task_id,
        'task',
        owner_id,
        created_by_user_id,
        created_at,
        due_at,
        upper(status) = 'COMPLETED',
        is_archived
    from tasks
),

final as (
    select
        engagements.activity_id,
        'hubspot' as source,
        engagements.type,
        deal_links.deal_id,
        engagements.owner_id,
        user_owners.owner_id as created_by,
        engagements.created_at,
        coalesce(engagements.occurred_at, engagements.created_at) as occurred_at,
        engagements.is_closed
    from engagements
    left join deal_links
        on engagements.activity_id = deal_links.engagement_id
    left join user_owners
        on engagements.created_by_user_id = user_owners.user_id
    where not coalesce(engagements.is_archived, false)
)

select * from final
