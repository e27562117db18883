{{ config(materialized='ephemeral') }}

{#- Per deal, what its activities say on as_of: the last completed activity known
    by then (H1) and whether an open activity is planned on or after it (H5). -#}

with activities as (
    select * from {{ ref('int_activities') }}
    where deal_id is not null
),

final as (
    select
        deal_id,
        -- H1: an activity logged after as_of was not known on as_of
        max(occurred_on) filter (
            where
                is_completed
                and occurred_on <= {{ as_of_date() }}
                and created_on <= {{ as_of_date() }}
        ) as last_activity_on,
        bool_or(is_open_future) as has_open_future_activity  -- H5
    from activities
    group by deal_id
)

select * from final
