{#- HubSpot owners in the canonical users shape (int_users' source branch):
    user_id is the owner id, the id deals and owner history use. -#}
with owners as (
    select * from {{ ref('stg_hubspot__owners') }}
),

managers as (
    select * from {{ ref('int_hubspot__user_managers') }}
),

final as (
    select
        owners.owner_id as user_id,
        'hubspot' as source,
        nullif(trim(concat_ws(' ', owners.first_name, owners.last_name)), '') as name,
        owners.email,
        -- HubSpot owners carry no job title
        cast(null as string) as title,
        managers.manager_id,
        not coalesce(owners.is_archived, false) as is_active,
        -- the closest HubSpot has to a role: the user's (primary) team
        managers.team as role,
        owners.created_at
    from owners
    left join managers
        on owners.owner_id = managers.user_id
)

select * from final
