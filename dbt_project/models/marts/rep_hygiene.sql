with deals as (
    select * from {{ ref('fct_deals') }}
    where owner_id is not null
),

users as (
    select * from {{ ref('int_users') }}
),

per_rep as (
    select
        owner_id as rep_id,
        count(*) filter (where not is_closed) as open_deals,
        coalesce(sum(amount) filter (where not is_closed), 0) as open_value,
        count(*) filter (where is_stale) as stale_deals,
        count(*) filter (where is_past_due) as past_due_deals,
        count(*) filter (where is_slipping) as slipping_deals,
        count(*) filter (where is_stuck) as stuck_deals,
        count(*) filter (where is_missing_next_step) as missing_next_step_deals,
        count(*) filter (where not is_closed and is_complete) as complete_deals,
        count(*) filter (where not is_closed and hygiene_issue_count = 0) as clean_deals,
        coalesce(
            sum(amount) filter (
                where not is_closed and days_since_change >= {{ var('stale_value_days') | int }}
            ),
            0
        ) as stale_value
    from deals
    group by owner_id
),

final as (
    select
        per_rep.rep_id,
        users.manager_id,
        {{ as_of_date() }} as as_of,
        cast(per_rep.open_deals as integer) as open_deals,
        cast(per_rep.open_value as double) as open_value,
        cast(per_rep.stale_deals as integer) as stale_deals,
        cast(per_rep.past_due_deals as integer) as past_due_deals,
        cast(per_rep.slipping_deals as integer) as slipping_deals,
        cast(per_rep.stuck_deals as integer) as stuck_deals,
        cast(per_rep.missing_next_step_deals as integer) as missing_next_step_deals,
        per_rep.complete_deals / nullif(per_rep.open_deals, 0) as completeness,
        per_rep.stale_value / nullif(per_rep.open_value, 0) as stale_value_share,
        per_rep.clean_deals / nullif(per_rep.open_deals, 0) as clean_deal_share
    from per_rep
    left join users
        on per_rep.rep_id = users.user_id
)

select * from final
