with deals as (
    select * from {{ ref('int_deals_as_of') }}
),

users as (
    select * from {{ ref('int_users') }}
),

changes as (
    select * from {{ ref('int_deal_changes') }}
    where changed_on <= {{ as_of_date() }}
),

current_stage_periods as (
    select * from {{ ref('int_deal_stage_periods') }}
    where is_current
),

stage_baselines as (
    select * from {{ ref('int_stage_baselines') }}
),

last_key_changes as (
    select
        deal_id,
        max(changed_on) as last_changed_on
    from changes
    where field in ('stage', 'amount', 'close_date')
    group by deal_id
),

deal_activities as (
    select
        deal_id,
        max(occurred_on) filter (
            where
                is_completed
                and occurred_on <= {{ as_of_date() }}
                and created_on <= {{ as_of_date() }}
        ) as last_activity_on,
        bool_or(is_open_future) as has_open_future_activity
    from {{ ref('int_activities') }}
    where deal_id is not null
    group by deal_id
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
        count(*) filter (where new_close_date > old_close_date) as push_count,
        count(*) filter (
            where
                {{ fiscal_quarter_start('new_close_date') }}
                > {{ fiscal_quarter_start('old_close_date') }}
        ) as quarter_push_count
    from close_date_changes
    group by deal_id
),

deal_contacts as (
    select
        deal_id,
        count(distinct contact_id) as contact_count
    from {{ ref('int_deal_contacts') }}
    where created_on <= {{ as_of_date() }} or created_on is null
    group by deal_id
),

measures as (
    select
        deals.*,
        users.manager_id,
        greatest(deal_activities.last_activity_on, deals.last_activity_date) as last_activity_on,
        coalesce(deal_activities.has_open_future_activity, false) as has_open_future_activity,
        last_key_changes.last_changed_on,
        current_stage_periods.days_in_stage,
        stage_baselines.baseline_days as stage_baseline_days,
        coalesce(pushes.push_count, 0) as push_count,
        coalesce(pushes.quarter_push_count, 0) as quarter_push_count,
        coalesce(deal_contacts.contact_count, 0) as contact_count,
        coalesce(regexp_matches(deals.next_step, '^\s*$'), true) as is_next_step_blank
    from deals
    left join users
        on deals.owner_id = users.user_id
    left join last_key_changes
        on deals.deal_id = last_key_changes.deal_id
    left join deal_activities
        on deals.deal_id = deal_activities.deal_id
    left join pushes
        on deals.deal_id = pushes.deal_id
    left join deal_contacts
        on deals.deal_id = deal_contacts.deal_id
    left join current_stage_periods
        on deals.deal_id = current_stage_periods.deal_id
    left join stage_baselines
        on
            deals.source = stage_baselines.source
            and deals.pipeline = stage_baselines.pipeline
            and deals.stage = stage_baselines.stage
),

metrics as (
    select
        *,
        -- H1: no activity and no stage/amount/close-date change; creation if neither
        {{ as_of_date() }}
        - coalesce(greatest(last_activity_on, last_changed_on), created_on) as days_since_activity,
        {{ as_of_date() }} - coalesce(last_changed_on, created_on) as days_since_change,
        -- H4: a zero-day baseline gives no ratio rather than infinity
        case
            when not is_closed then days_in_stage / nullif(stage_baseline_days, 0)
        end as stage_age_ratio
    from measures
),

-- Hygiene flags describe open deals: false for closed deals (nothing to fix),
-- except is_stuck, which is null for an open deal whose stage has no baseline.
flags as (
    select
        *,
        not is_closed
        and coalesce(days_since_activity >= {{ var('stale_days') | int }}, false) as is_stale,
        not is_closed and coalesce(close_date < {{ as_of_date() }}, false) as is_past_due,
        not is_closed and push_count >= {{ var('slipping_push_count') | int }} as is_slipping,
        case
            when is_closed then false
            when stage_age_ratio is not null then stage_age_ratio > {{ var('stuck_ratio') | float }}
        end as is_stuck,
        not is_closed
        and is_next_step_blank
        and not has_open_future_activity as is_missing_next_step,
        not is_next_step_blank
        and coalesce(amount > 0, false)
        and close_date is not null
        and contact_count >= 1 as is_complete
    from metrics
),

final as (
    select
        {{ as_of_date() }} as as_of,
        deal_id,
        source,
        name as deal_name,
        account_id,
        owner_id,
        manager_id,
        stage,
        stage_order,
        forecast_category,
        amount,
        close_date,
        created_on,
        is_closed,
        is_won,
        last_activity_on,
        cast(days_since_activity as integer) as days_since_activity,
        cast(days_since_change as integer) as days_since_change,
        days_in_stage,
        stage_baseline_days,
        stage_age_ratio,
        cast(push_count as integer) as push_count,
        cast(quarter_push_count as integer) as quarter_push_count,
        cast(contact_count as integer) as contact_count,
        is_stale,
        is_past_due,
        is_slipping,
        is_stuck,
        is_missing_next_step,
        is_complete,
        cast(
            is_stale::integer
            + is_past_due::integer
            + is_slipping::integer
            + coalesce(is_stuck, false)::integer
            + is_missing_next_step::integer
            as integer
        ) as hygiene_issue_count
    from flags
)

select * from final
