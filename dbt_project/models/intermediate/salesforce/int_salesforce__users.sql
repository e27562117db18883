{#- Salesforce users in the canonical users shape (int_users' source branch):
    the manager is User.ManagerId, the role the UserRole's name. -#}
with users as (
    select * from {{ ref('stg_salesforce__users') }}
),

roles as (
    select * from {{ ref('stg_salesforce__user_roles') }}
),

final as (
    select
        users.user_id,
        'salesforce' as source,
        users.user_name as name,
        users.email,
        users.title,
        users.manager_id,
        coalesce(users.is_active, false) as is_active,
        roles.role_name as role,
        users.created_at
    from users
    left join roles
        on users.user_role_id = roles.user_role_id
)

select * from final
