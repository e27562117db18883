{{ config(materialized='ephemeral') }}

{#- Salesforce opportunity contact roles in the canonical deal_contacts shape
    (int_deal_contacts' source branch). -#}
with contact_roles as (
    select * from {{ ref('stg_salesforce__opportunity_contact_roles') }}
    where not coalesce(is_deleted, false)
),

final as (
    select
        opportunity_contact_role_id as deal_contact_id,
        'salesforce' as source,
        opportunity_id as deal_id,
        contact_id,
        contact_role as role,
        coalesce(is_primary, false) as is_primary,
        created_at
    from contact_roles
)

select * from final
