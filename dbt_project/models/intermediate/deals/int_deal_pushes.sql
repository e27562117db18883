{{ config(materialized='ephemeral') }}

{#- Per deal, its stage, amount and close-date changes up to as_of: the last one
    (H1, H11) and the close-date pushes to a later date or fiscal quarter (H3). -#}

with changes as (
    select * from {{ ref('int_deal_field_history') }}
    where
        changed_on <= {{ as_of_date() }}
        and field in ('stage', 'amount', 'close_date')
),

close_date_changes as (
    select
        deal_id,
        try_cast(old_value as date) as old_close_date,
        try_cast(new_value as date) as new_close_date
    from changes
    where field = 'close_date'
),

pushes as (
    select
        deal_id,
        count(*) filter (where new_close_date > old_close_date) as push_count,  -- H3
        count(*) filter (
            where
                {{ fiscal_quarter_start('new_close_date') }}
                > {{ fiscal_quarter_start('old_close_date') }}
        ) as quarter_push_count
    from close_date_changes
    group by deal_id
),

last_key_changes as (
    select
        deal_id,
        max(changed_on) as last_changed_on
    from changes
    group by deal_id
),

final as (
    select
        last_key_changes.deal_id,
        last_key_changes.last_changed_on,
        coalesce(pushes.push_count, 0) as push_count,
        coalesce(pushes.quarter_push_count, 0) as quarter_push_count
    from last_key_changes
    left join pushes
        on last_key_changes.deal_id = pushes.deal_id
)

select * from final
