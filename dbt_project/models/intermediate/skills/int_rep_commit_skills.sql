{{ config(materialized='ephemeral') }}

{#- P8 commit accuracy per rep and period, with the deals behind the value and its
    standard error (int_rep_skill_values unions every skill family). Commitments
    are credited to the owner at the quarter's start; a quarter counts once it has
    ended. -#}

with periods as (
    {{ skill_periods() }}
),

commitments as (
    select
        periods.period_type,
        periods.period_start,
        states.start_owner_id as rep_id,
        count(*) as committed_deals,
        {{ exact_sum('greatest(states.start_amount, 0)') }} as committed_amount,
        {{ exact_sum('greatest(states.start_amount, 0)', 'states.is_won_in_quarter') }}
            as won_committed_amount,
        power(coalesce({{ exact_sum('greatest(states.start_amount, 0)') }}, 0), 2)
        / nullif({{ exact_sum_of_squares('greatest(states.start_amount, 0)') }}, 0)
            as committed_amount_deals
    from {{ ref('int_deal_quarter_states') }} as states
    inner join periods
        on
            states.quarter_start between periods.period_start and periods.period_end
            -- the current quarter's commitments are judged only once it has ended
            and states.quarter_end <= {{ as_of_date() }}
    where states.was_committed and states.was_due_in_quarter and states.start_owner_id is not null
    group by all
),

skills as (
    select
        rep_id,
        period_type,
        period_start,
        'P8' as metric_id,
        'commit_accuracy' as metric_name,
        cast(null as string) as stage,
        coalesce(won_committed_amount, 0) / nullif(committed_amount, 0) as value,  -- P8
        committed_deals as deals,
        {{ share_standard_error(
            'coalesce(won_committed_amount, 0) / nullif(committed_amount, 0)',
            'committed_amount_deals'
        ) }} as standard_error
    from commitments
),

final as (
    {{ rep_skill_rows('skills') }}
)

select * from final
