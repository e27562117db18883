with accounts as (
    select * from {{ ref('int_accounts') }}
),

-- read by name_of(), which sqlfluff does not expand
users as (  -- noqa: ST03
    select * from {{ ref('int_users') }}
),

open_deals as (
    select
        account_id,
        count(*) as open_deals,
        coalesce({{ exact_sum('amount') }}, 0) as open_value
    from {{ ref('fct_deals') }}
    where not is_closed and account_id is not null
    group by account_id
),

final as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.source,
        accounts.owner_id, {{ name_of('accounts.owner_id') }} as owner_name,
        cast(coalesce(open_deals.open_deals, 0) as integer) as open_deals,
        cast(coalesce(open_deals.open_value, 0) as double) as open_value
    from accounts
    left join open_deals
        on accounts.account_id = open_deals.account_id
)

select * from final
