with deals as (
    select * from {{ ref('int_deals_as_of') }}
),

users as (
    select * from {{ ref('int_users') }}
),

current_stage_periods as (
    select * from {{ ref('int_deal_stage_periods') }}
    where is_current
),

stage_baselines as (
    select * from {{ ref('int_stage_baselines') }}
),

stages as (
    select * from {{ ref('int_stages') }}
),

outcomes as (
    select * from {{ ref('int_deal_outcomes') }}
),

activity_facts as (
    select * from {{ ref('int_deal_activity_facts') }}
),

pushes as (
    select * from {{ ref('int_deal_pushes') }}
),

stage_moves as (
    select * from {{ ref('int_deal_stage_moves') }}
),

-- H7 is unknowable when the CRM gives no contacts at all (object missing or unused)
contact_data as (
    select count(*) > 0 as has_contact_data
    from {{ ref('int_deal_contacts') }}
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
        users.manager_id, users.is_active as is_owner_active,
        greatest(activity_facts.last_activity_on, deals.last_activity_date) as last_activity_on,
        coalesce(activity_facts.has_open_future_activity, false) as has_open_future_activity,
        pushes.last_changed_on,
        current_stage_periods.days_in_stage,
        stage_baselines.baseline_days as stage_baseline_days,
        coalesce(pushes.push_count, 0) as push_count,
        coalesce(pushes.quarter_push_count, 0) as quarter_push_count,
        coalesce(deal_contacts.contact_count, 0) as contact_count,
        coalesce({{ regex_contains('deals.next_step', '^\\s*$') }}, true) as is_next_step_blank,
        stages.funnel_order,
        outcomes.closed_on,
        outcomes.close_owner_id,
        coalesce(stage_moves.has_recent_regression, false) as has_recent_regression,
        coalesce(stage_moves.has_skip, false) as has_skip,
        coalesce(stage_moves.has_slipped, false) as has_slipped,
        contact_data.has_contact_data
    from deals
    cross join contact_data
    left join users
        on deals.owner_id = users.user_id
    left join activity_facts
        on deals.deal_id = activity_facts.deal_id
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
    left join stages
        on
            deals.source = stages.source
            and deals.pipeline = stages.pipeline
            and deals.stage = stages.stage
    left join outcomes
        on deals.deal_id = outcomes.deal_id
    left join stage_moves
        on deals.deal_id = stage_moves.deal_id
),

metrics as (
    select
        *,
        -- H1: no activity and no stage/amount/close-date change; creation if neither
        {{ days_between('coalesce(greatest(last_activity_on, last_changed_on), created_on)',
            as_of_date()) }} as days_since_activity,
        {{ days_between('coalesce(last_changed_on, created_on)', as_of_date()) }}
            as days_since_change,
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
        -- H1
        not is_closed
        and coalesce(days_since_activity >= {{ var('stale_days') | int }}, false) as is_stale,
        not is_closed and coalesce(close_date < {{ as_of_date() }}, false) as is_past_due,  -- H2
        -- H3
        not is_closed and push_count >= {{ var('slipping_push_count') | int }} as is_slipping,
        case
            when is_closed then false
            when stage_age_ratio is not null then stage_age_ratio > {{ var('stuck_ratio') | float }}
        end as is_stuck,  -- H4
        not is_closed
        and is_next_step_blank
        and not has_open_future_activity as is_missing_next_step,  -- H5
        not is_next_step_blank
        and coalesce(amount > 0, false)
        and close_date is not null
        and contact_count >= 1 as is_complete,  -- H6
        -- H7: past the first open stage (an unknown stage counts as past it)
        case
            when is_closed then false
            when has_contact_data
                then coalesce(funnel_order, 2) > 1
                and contact_count <= {{ var('single_threaded_max_contacts') | int }}
        end as is_single_threaded,  -- H7
        not is_closed and has_recent_regression as has_stage_regression,  -- H8
        not is_closed and has_skip as has_stage_skip,  -- H9
        not is_closed and has_slipped as has_slipped_this_quarter,  -- H10
        not is_closed
        and days_since_change >= {{ var('stale_value_days') | int }} as is_stale_value,  -- H11
        not is_closed and not coalesce(is_owner_active, true) as is_owner_inactive  -- H12
    from metrics
),

final as (
    select
        {{ as_of_date() }} as as_of,
        deal_id,
        source,
        name as deal_name,
        account_id,
        {{ name_of('flags.account_id', ref('int_accounts'), 'account_id', 'account_name') }}
            as account_name,
        owner_id, {{ name_of('flags.owner_id') }} as owner_name,
        manager_id, {{ name_of('flags.manager_id') }} as manager_name,
        stage,
        stage_order,
        forecast_category,
        amount,
        currency_code, amount_original,
        close_date,
        created_on,
        is_closed,
        is_won,
        closed_on,
        close_owner_id, {{ name_of('flags.close_owner_id') }} as close_owner_name,
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
        is_single_threaded,
        has_stage_regression, has_stage_skip,
        has_slipped_this_quarter,
        is_stale_value, is_owner_inactive,
        cast(
            cast(is_stale as integer) + cast(is_past_due as integer)
            + cast(is_slipping as integer) + cast(coalesce(is_stuck, false) as integer)
            + cast(is_missing_next_step as integer)
            + cast(coalesce(is_single_threaded, false) as integer)
            + cast(has_stage_regression as integer) + cast(has_stage_skip as integer)
            + cast(has_slipped_this_quarter as integer) + cast(is_stale_value as integer)
            as integer
        ) as hygiene_issue_count
    from flags
)

select * from final
