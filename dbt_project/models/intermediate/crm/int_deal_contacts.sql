with all_contacts as (
    select deal_contact_id, source, deal_id, contact_id, role, is_primary, created_at
    from {{ ref('int_salesforce__deal_contacts') }}
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
