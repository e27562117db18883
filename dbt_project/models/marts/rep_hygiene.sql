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
        coalesce({{ exact_sum('amount', 'not is_closed') }}, 0) as open_value,
        count(*) filter (where is_stale) as stale_deals,
        count(*) filter (where is_past_due) as past_due_deals,
        count(*) filter (where is_slipping) as slipping_deals,
        count(*) filter (where is_stuck) as stuck_deals,
        count(*) filter (where is_missing_next_step) as missing_next_step_deals,
        count(*) filter (where not is_closed and is_complete) as complete_deals,
        count(*) filter (where is_single_threaded) as single_threaded_deals,
        count(*) filter (where has_stage_regression) as stage_regression_deals,
        count(*) filter (where has_stage_skip) as stage_skip_deals,
        count(*) filter (where has_slipped_this_quarter) as slipped_deals,
        count(*) filter (where is_stale_value) as stale_value_deals,
        count(*) filter (where not is_closed and hygiene_issue_count = 0) as clean_deals,
        coalesce({{ exact_sum('amount', 'is_stale_value') }}, 0) as stale_value,
        count(*) filter (where is_owner_inactive) as orphaned_open_deals,
        coalesce({{ exact_sum('amount', 'is_owner_inactive') }}, 0) as orphaned_open_value
    from deals
    group by owner_id
),

-- H9 over the trailing window, credited to the owner when the deal moved
stage_moves as (
    select
        owner_id as rep_id,
        count(*) filter (where is_forward) as forward_moves,
        count(*) filter (where is_skip) as skipped_moves
    from {{ ref('int_stage_transitions') }}
    where
        owner_id is not null
        and changed_on > {{ as_of_date() }} - {{ var('trailing_days') | int }}
    group by owner_id
),

-- H10 for the current quarter, credited to the owner when the quarter started
slips as (
    select
        start_owner_id as rep_id,
        {{ exact_sum('greatest(coalesce(start_amount, 0), 0)') }} as due_value,
        {{ exact_sum('greatest(coalesce(start_amount, 0), 0)', 'has_slipped') }} as slipped_value
    from {{ ref('int_deal_quarter_states') }}
    where
        quarter_start = {{ fiscal_quarter_start(as_of_date()) }}
        and was_due_in_quarter
        and start_owner_id is not null
    group by start_owner_id
),

reps as (
    select rep_id from per_rep
    union
    select rep_id from stage_moves
    union
    select rep_id from slips
),

final as (
    select
        reps.rep_id, {{ name_of('reps.rep_id') }} as rep_name,
        users.manager_id, {{ name_of('users.manager_id') }} as manager_name,
        users.is_active,
        {{ as_of_date() }} as as_of,
        cast(coalesce(per_rep.open_deals, 0) as integer) as open_deals,
        cast(coalesce(per_rep.open_value, 0) as double) as open_value,
        cast(coalesce(per_rep.stale_deals, 0) as integer) as stale_deals,
        cast(coalesce(per_rep.past_due_deals, 0) as integer) as past_due_deals,
        cast(coalesce(per_rep.slipping_deals, 0) as integer) as slipping_deals,
        cast(coalesce(per_rep.stuck_deals, 0) as integer) as stuck_deals,
        cast(coalesce(per_rep.missing_next_step_deals, 0) as integer) as missing_next_step_deals,
        per_rep.complete_deals / nullif(per_rep.open_deals, 0) as completeness,  -- H6
        cast(coalesce(per_rep.single_threaded_deals, 0) as integer) as single_threaded_deals,
        cast(coalesce(per_rep.stage_regression_deals, 0) as integer) as stage_regression_deals,
        cast(coalesce(per_rep.stage_skip_deals, 0) as integer) as stage_skip_deals,
        cast(coalesce(stage_moves.forward_moves, 0) as integer) as forward_moves,
        cast(coalesce(stage_moves.skipped_moves, 0) as integer) as skipped_moves,
        stage_moves.skipped_moves / nullif(stage_moves.forward_moves, 0) as stage_skip_rate,  -- H9
        cast(coalesce(per_rep.slipped_deals, 0) as integer) as slipped_deals,
        cast(coalesce(slips.due_value, 0) as double) as due_value,
        cast(coalesce(slips.slipped_value, 0) as double) as slipped_value,
        coalesce(slips.slipped_value, 0) / nullif(slips.due_value, 0) as slipped_rate,  -- H10
        cast(coalesce(per_rep.stale_value_deals, 0) as integer) as stale_value_deals,
        per_rep.stale_value / nullif(per_rep.open_value, 0) as stale_value_share,  -- H11
        per_rep.clean_deals / nullif(per_rep.open_deals, 0) as clean_deal_share,
        -- H12: a deactivated rep's open deals (summed per manager_id: the manager's
        -- orphaned pipeline)
        cast(coalesce(per_rep.orphaned_open_deals, 0) as integer) as orphaned_open_deals,
        cast(coalesce(per_rep.orphaned_open_value, 0) as double) as orphaned_open_value
    from reps
    left join per_rep
        on reps.rep_id = per_rep.rep_id
    left join stage_moves
        on reps.rep_id = stage_moves.rep_id
    left join slips
        on reps.rep_id = slips.rep_id
    left join users
        on reps.rep_id = users.user_id
)

select * from final
