{#- HubSpot user id -> owner id. Change history and created-by properties name
    users by user id; the canonical model names everyone by owner id. -#}
with owners as (
    select * from {{ ref('stg_hubspot__owners') }}
),

final as (
    select
        user_id,
        owner_id
    from owners
    where user_id is not null
    qualify row_number() over (partition by user_id order by is_archived, owner_id) = 1
)

select * from final
