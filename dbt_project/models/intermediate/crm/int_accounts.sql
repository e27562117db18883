{#- Canonical accounts. Only Salesforce has them: HubSpot deals carry no account
    (companies are not landed), so its deals have a null account_id. -#}
select
    account_id,
    source,
    account_name,
    owner_id,
    created_at
from {{ ref('int_salesforce__accounts') }}
