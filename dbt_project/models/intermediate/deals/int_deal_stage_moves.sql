{{ config(materialized='ephemeral') }}

{#- Per deal, how its stage moved up to as_of: back to an earlier stage within the
    regression window (H8), forward over an open stage (H9), and whether it slipped
    out of the current fiscal quarter it was due in (H10). -#}

with transitions as (
    select * from {{ ref('int_stage_transitions') }}
),

quarter_states as (
    select * from {{ ref('int_deal_quarter_states') }}
),

stage_moves as (
    select
        deal_id,
        -- H8: back to an earlier stage within the regression window
        bool_or(
            is_regression
            and changed_on > {{ as_of_date() }} - {{ var('regression_window_days') | int }}
        ) as has_recent_regression,
        bool_or(is_skip) as has_skip  -- H9
    from transitions
    group by deal_id
),

-- H10: due in the current quarter when it started, dated after it on as_of
current_quarter_slips as (
    select
        deal_id,
        has_slipped
    from quarter_states
    where
        quarter_start = {{ fiscal_quarter_start(as_of_date()) }}
        and was_due_in_quarter
),

final as (
    select
        coalesce(stage_moves.deal_id, current_quarter_slips.deal_id) as deal_id,
        coalesce(stage_moves.has_recent_regression, false) as has_recent_regression,
        coalesce(stage_moves.has_skip, false) as has_skip,
        coalesce(current_quarter_slips.has_slipped, false) as has_slipped
    from stage_moves
    full outer join current_quarter_slips
        on stage_moves.deal_id = current_quarter_slips.deal_id
)

select * from final
