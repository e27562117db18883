{#- Micromanagement signals M1-M6 per leader and ISO week over the leader's whole
    subtree (direct and skip-level), the micromanagement index and the signals
    that breached. Deals belong to a subtree through their owner at the moment of
    each action (the owner an owner change takes the deal away from). -#}

{#- The signals, their floors and the leader's own count behind a share (which
    breaches only when that count reaches var leader_signal_min_actions) come from
    macros/metric_registry.sql (micromanagement_signals). -#}
{% set signals = micromanagement_signals() %}

with user_leaders as (
    select * from {{ ref('int_user_leaders') }}
),

users as (
    select * from {{ ref('dim_users') }}
),

subtree_actions as (
    select * from {{ ref('int_leader_subtree_actions') }}
),

directive_tasks as (
    select * from {{ ref('int_leader_directive_tasks') }}
),

intervened_reports as (
    select * from {{ ref('int_leader_intervened_reports') }}
),

open_weeks as (
    select * from {{ ref('int_deal_open_weeks') }}
),

-- A deal with one owner throughout is in a subtree's week once: counted per owner, then
-- summed per leader. Only deals that changed hands can be there twice: counted distinct.
subtree_open_deal_parts as (
    select user_leaders.leader_id, owner_open_deals.week_start, owner_open_deals.open_deals
    from (
        select owner_id, week_start, count(*) as open_deals
        from open_weeks
        where coalesce(is_single_owner, false)
        group by owner_id, week_start
    ) as owner_open_deals
    inner join user_leaders
        on owner_open_deals.owner_id = user_leaders.user_id
    union all
    select
        user_leaders.leader_id,
        open_weeks.week_start,
        count(distinct open_weeks.deal_id) as open_deals
    from open_weeks
    inner join user_leaders
        on open_weeks.owner_id = user_leaders.user_id
    where not coalesce(open_weeks.is_single_owner, false)
    group by user_leaders.leader_id, open_weeks.week_start
),

subtree_open_deals as (
    select leader_id, week_start, cast(sum(open_deals) as bigint) as subtree_open_deals
    from subtree_open_deal_parts
    group by leader_id, week_start
),

leader_weeks as (
    select leader_id, week_start from subtree_open_deals
    union
    select leader_id, week_start from subtree_actions
    union
    select leader_id, week_start from directive_tasks
),

measures as (
    select
        leader_weeks.leader_id,
        leader_weeks.week_start,
        coalesce(subtree_open_deals.subtree_open_deals, 0) as subtree_open_deals,
        coalesce(subtree_actions.key_field_changes, 0) as key_field_changes,
        coalesce(subtree_actions.leader_key_field_changes, 0) as leader_key_field_changes,
        coalesce(subtree_actions.activities, 0) as activities,
        coalesce(subtree_actions.leader_activities, 0) as leader_activities,
        coalesce(directive_tasks.directive_tasks, 0) as directive_tasks,
        coalesce(subtree_actions.forecast_overrides, 0) as forecast_overrides,
        coalesce(subtree_actions.late_quarter_takeovers, 0) as late_quarter_takeovers,
        coalesce(subtree_actions.reassignments, 0) as reassignments,
        coalesce(subtree_actions.touched_deals, 0) as touched_deals,
        coalesce(subtree_actions.interventions, 0) as interventions,
        coalesce(subtree_actions.skip_level_interventions, 0) as skip_level_interventions,
        intervened_reports.via_report_id as most_intervened_report_id
    from leader_weeks
    left join subtree_open_deals
        on
            leader_weeks.leader_id = subtree_open_deals.leader_id
            and leader_weeks.week_start = subtree_open_deals.week_start
    left join subtree_actions
        on
            leader_weeks.leader_id = subtree_actions.leader_id
            and leader_weeks.week_start = subtree_actions.week_start
    left join directive_tasks
        on
            leader_weeks.leader_id = directive_tasks.leader_id
            and leader_weeks.week_start = directive_tasks.week_start
    left join intervened_reports
        on
            leader_weeks.leader_id = intervened_reports.leader_id
            and leader_weeks.week_start = intervened_reports.week_start
    where leader_weeks.week_start <= {{ as_of_date() }}
),

signals as (
    select
        *,
        -- a share with nothing to divide by is null, not zero
        leader_key_field_changes / nullif(key_field_changes, 0) as leader_edit_share,  -- M1
        leader_activities / nullif(activities, 0) as leader_activity_share,  -- M2
        reassignments / nullif(subtree_open_deals, 0) as reassignment_rate,  -- M5
        -- M6; a deal reassigned into the subtree mid-week can be touched twice; at most 1
        case
            when subtree_open_deals > 0 then least(touched_deals / subtree_open_deals, 1.0)
        end as touch_breadth,
        skip_level_interventions / nullif(interventions, 0) as skip_level_share
    from measures
),

-- Each signal's threshold: the larger of a multiple of its org median (over every
-- leader-week where it is defined) and its absolute floor.
thresholds as (
    select
        {% for signal in signals %}
        -- {{ signal.metric_id }}
        {{ signal_threshold(signal.column, signal.floor_var) }}
        as {{ signal.column }}_threshold{{ ',' if not loop.last }}
        {% endfor %}
    from signals
),

breaches as (
    select
        signals.*,
        {% for signal in signals %}
        coalesce(
            signals.{{ signal.column }} > thresholds.{{ signal.column }}_threshold
            {%- if signal.min_actions_column %}
            and signals.{{ signal.min_actions_column }}
            >= {{ var('leader_signal_min_actions') | int }}
            {%- endif %},
            false
        ) as {{ signal.column }}_breached{{ ',' if not loop.last }}
        {% endfor %}
    from signals
    cross join thresholds
),

final as (
    select
        breaches.leader_id, {{ name_of('breaches.leader_id') }} as leader_name,
        {{ iso_week('breaches.week_start') }} as iso_week,
        breaches.week_start,
        -- an ISO week belongs to the quarter holding its Thursday
        {{ fiscal_quarter_start('breaches.week_start + 3') }} as quarter_start,
        -- the week reaches into the last late_quarter_days of a fiscal quarter
        {{ fiscal_quarter_next_start('breaches.week_start + 6') }}
        - interval {{ var('late_quarter_days') | int }} day <= breaches.week_start + 6
        or {{ fiscal_quarter_start('breaches.week_start') }}
        != {{ fiscal_quarter_start('breaches.week_start + 6') }}
            as is_late_quarter_week,
        {{ as_of_date() }} as as_of,
        users.depth as leader_depth,
        users.is_active as leader_is_active,
        users.span_of_control,
        cast(breaches.subtree_open_deals as integer) as subtree_open_deals,
        cast(breaches.key_field_changes as integer) as key_field_changes,
        cast(breaches.leader_key_field_changes as integer) as leader_key_field_changes,
        breaches.leader_edit_share,
        cast(breaches.activities as integer) as activities,
        cast(breaches.leader_activities as integer) as leader_activities,
        breaches.leader_activity_share,
        cast(breaches.directive_tasks as integer) as directive_tasks,
        cast(breaches.forecast_overrides as integer) as forecast_overrides,
        cast(breaches.late_quarter_takeovers as integer) as late_quarter_takeovers,
        cast(breaches.reassignments as integer) as reassignments,
        breaches.reassignment_rate,
        cast(breaches.touched_deals as integer) as touched_deals,
        breaches.touch_breadth,
        cast(breaches.interventions as integer) as interventions,
        cast(breaches.skip_level_interventions as integer) as skip_level_interventions,
        breaches.skip_level_share,
        breaches.most_intervened_report_id,
        {{ name_of('breaches.most_intervened_report_id') }} as most_intervened_report_name,
        -- MI
        cast(
            {% for signal in signals %}
            cast(breaches.{{ signal.column }}_breached as integer){{ ' +' if not loop.last }}
            {% endfor %}
            as integer
        ) as micromanagement_index,
        nullif(concat_ws(
            ', ',
            {% for signal in signals %}
            case
                when breaches.{{ signal.column }}_breached then '{{ signal.column }}'
            end{{ ',' if not loop.last }}
            {% endfor %}
        ), '') as breached_signals
    from breaches
    left join users
        on breaches.leader_id = users.user_id
)

select * from final
