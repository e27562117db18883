{#- HubSpot user id -> owner id. Change history and created-by properties name
    users by user id; the canonical model names everyone by owner id. -#}
with owners as (
    select * from {{ ref('stg_hubspot__owners') }}
),

final as (
    -- the first row of each group, ranked in a subquery: QUALIFY is not in Spark 3.5
    select
        user_id,
        owner_id
    from (
        select
            user_id,
            owner_id,
            row_number() over (partition by user_id order by is_archived, owner_id) as user_rank
        from owners
        where user_id is not null
    ) as ranked
    where user_rank = 1
)

select * from final
