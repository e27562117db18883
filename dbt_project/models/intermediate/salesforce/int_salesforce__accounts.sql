{{ config(materialized='ephemeral') }}

{#- Salesforce accounts in the canonical accounts shape (int_accounts' source branch);
    deleted accounts are left out. -#}
with accounts as (
    select * from {{ ref('stg_salesforce__accounts') }}
),

final as (
    select
        account_id,
        'salesforce' as source,
        account_name,
        owner_id,
        created_at
    from accounts
    where not coalesce(is_deleted, false)
)

select * from final
