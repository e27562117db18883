{#- HubSpot deal-contact associations in the canonical deal_contacts shape.
    The association label plays the contact role; HubSpot has no primary contact
    and no association timestamp. -#}
with associations as (
    select * from {{ ref('stg_hubspot__deal_contact_associations') }}
),

deals as (
    select * from {{ ref('stg_hubspot__deals') }}
),

contacts as (
    select
        deal_id,
        {{ unnest_item('contacts', 'contact') }}
    from associations
),

final as (
    select
        contacts.deal_id || ':' || contacts.contact.id as deal_contact_id,
        'hubspot' as source,
        contacts.deal_id,
        contacts.contact.id as contact_id,
        any_value(contacts.contact.label) as role,
        cast(null as boolean) as is_primary,
        cast(null as {{ type_timestamptz() }}) as created_at
    from contacts
    inner join deals
        on contacts.deal_id = deals.deal_id
    where not coalesce(deals.is_archived, false)
    group by contacts.deal_id, contacts.contact.id
)

select * from final
