{{ config(materialized='table') }}

with recursive canonical_users as (
    select user_id, source, name, email, title, manager_id, is_active, role, created_at
    from {{ ref('int_salesforce__users') }}

    union all

    select user_id, source, name, email, title, manager_id, is_active, role, created_at
    from {{ ref('int_hubspot__users') }}
),

-- Tops of the tree: no manager, a manager who is not a landed user, or oneself.
hierarchy as (
    select
        user_id,
        {{ list_of('user_id') }} as hierarchy_path,
        0 as depth
    from canonical_users
    where
        manager_id is null
        or manager_id = user_id
        or manager_id not in (select known.user_id from canonical_users as known)

    union all

    select
        reports.user_id,
        {{ list_append('hierarchy.hierarchy_path', 'reports.user_id') }} as hierarchy_path,
        hierarchy.depth + 1 as depth
    from hierarchy
    inner join canonical_users as reports
        on hierarchy.user_id = reports.manager_id
    where not {{ list_contains('hierarchy.hierarchy_path', 'reports.user_id') }}
),

final as (
    select
        canonical_users.user_id,
        canonical_users.source,
        canonical_users.name,
        canonical_users.email,
        canonical_users.title,
        canonical_users.manager_id,
        canonical_users.is_active,
        canonical_users.role,
        canonical_users.created_at,
        hierarchy.hierarchy_path,
        cast(hierarchy.depth as integer) as depth,
        {{ list_at('hierarchy.hierarchy_path', 1) }} as ceo_id,
        case
            when hierarchy.depth >= 1 then {{ list_at('hierarchy.hierarchy_path', 2) }}
        end as director_id
    from canonical_users
    -- users caught in a manager cycle are not reached from any top: null path and depth
    left join hierarchy
        on canonical_users.user_id = hierarchy.user_id
)

select * from final
