with contact_roles as (
    select * from {{ ref('stg_salesforce__opportunity_contact_roles') }}
    where not coalesce(is_deleted, false)
),

salesforce_contacts as (
    select
        opportunity_contact_role_id as deal_contact_id,
        'salesforce' as source,
        opportunity_id as deal_id,
        contact_id,
        contact_role as role,
        coalesce(is_primary, false) as is_primary,
        created_at
    from contact_roles
),

all_contacts as (
    select * from salesforce_contacts
    union all
    select deal_contact_id, source, deal_id, contact_id, role, is_primary, created_at
    from {{ ref('int_hubspot__deal_contacts') }}
),

final as (
    select
        *,
        {{ local_date('created_at') }} as created_on
    from all_contacts
)

select * from final
