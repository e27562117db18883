{#- One org-wide value per catalog metric on as_of (kpi_catalog.org_value), with a
    note where the value needs explaining, and each M-signal's effective threshold.
    It reads the marts on purpose: a metric's org value is its mart rolled up once
    more, never a second implementation of the metric. -#}

{#- A micromanagement metric's org value and threshold are those of its first signal
    (macros/metric_registry.sql); its other signals' thresholds are noted. -#}
{% set leading_signals = [] %}
{% set other_signals = [] %}
{% for signal in micromanagement_signals() %}
    {% if signal.metric_id in leading_signals | map(attribute='metric_id') | list %}
        {% do other_signals.append(signal) %}
    {% else %}
        {% do leading_signals.append(signal) %}
    {% endif %}
{% endfor %}

with deals as (
    select * from {{ ref('fct_deals') }}
),

open_deals as (
    select * from deals
    where not is_closed
),

trailing_start as (
    select cast({{ as_of_date() }} - {{ var('trailing_days') | int }} + 1 as date) as day
),

hygiene as (
    select 'H1' as metric_id, count(*) filter (where is_stale) / nullif(count(*), 0) as org_value
    from open_deals
    union all
    select 'H2', count(*) filter (where is_past_due) / nullif(count(*), 0) from open_deals
    union all
    select 'H3', count(*) filter (where is_slipping) / nullif(count(*), 0) from open_deals
    union all
    select 'H4', count(*) filter (where is_stuck) / nullif(count(is_stuck), 0) from open_deals
    union all
    select 'H5', count(*) filter (where is_missing_next_step) / nullif(count(*), 0) from open_deals
    union all
    select 'H6', count(*) filter (where is_complete) / nullif(count(*), 0) from open_deals
    union all
    select 'H7', count(*) filter (where is_single_threaded) / nullif(count(is_single_threaded), 0)
    from open_deals
    union all
    select 'H8', count(*) filter (where has_stage_regression) / nullif(count(*), 0) from open_deals
    union all
    select
        'H9',
        count(*) filter (where is_skip) / nullif(count(*) filter (where is_forward), 0)
    from {{ ref('int_stage_transitions') }}
    where changed_on >= (select day from trailing_start)
    union all
    select
        'H10',
        coalesce({{ exact_sum('greatest(start_amount, 0)', 'has_slipped') }}, 0)
        / nullif({{ exact_sum('greatest(start_amount, 0)') }}, 0)
    from {{ ref('int_deal_quarter_states') }}
    where quarter_start = {{ fiscal_quarter_start(as_of_date()) }} and was_due_in_quarter
    union all
    select
        'H11',
        coalesce({{ exact_sum('amount', 'is_stale_value') }}, 0)
        / nullif({{ exact_sum('amount') }}, 0)
    from open_deals
),

signals as (
    select * from {{ ref('leader_signals_weekly') }}
),

leader_signals as (
    {% for signal in leading_signals %}
    select
        '{{ signal.metric_id }}' as metric_id,
        median({{ signal.column }}::double) as org_value,
        {{ signal_threshold(signal.column, signal.floor_var) }} as threshold_value
    from signals
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

other_signal_notes as (
    select
        metric_id,
        string_agg(note, '; ') as note
    from (
        {% for signal in other_signals %}
        select
            '{{ signal.metric_id }}' as metric_id,
            '{{ signal.column }} threshold '
            || round({{ signal_threshold(signal.column, signal.floor_var) }}, 2) as note
        from signals
        union all
        {% endfor %}
        select null::varchar as metric_id, null::varchar as note
        where false
    )
    group by metric_id
),

last_ended_quarter as (
    select max(quarter_start) as quarter_start
    from {{ ref('int_fiscal_quarters') }}
    where quarter_end < {{ as_of_date() }}
),

outcomes as (
    select * from {{ ref('int_deal_outcomes') }}
),

trailing_closes as (
    select * from outcomes
    where is_closed and closed_on >= (select day from trailing_start)
),

entries as (
    select * from {{ ref('int_stage_entries') }}
    where entered_on >= (select day from trailing_start)
),

other as (
    select
        'M7' as metric_id,
        {{ exact_sum('greatest(amount, 0)', 'is_late_quarter_close') }}
        / nullif({{ exact_sum('greatest(amount, 0)') }}, 0) as org_value
    from outcomes
    where is_won and closed_quarter_start = (select quarter_start from last_ended_quarter)
    union all
    select 'M9', median(span_of_control::double)
    from {{ ref('dim_users') }}
    where is_manager
    union all
    select 'MI', count(*) filter (where micromanagement_index > 0) / nullif(count(*), 0)
    from signals
    where week_start >= (select day from trailing_start)
    union all
    select
        'P1',
        count(*) filter (where has_advanced) / nullif(count(*) filter (where is_resolved), 0)
    from entries
    union all
    select 'P2', median(days_in_stage::double) from entries
    union all
    select 'P3', count(*) filter (where is_won) / nullif(count(*), 0) from trailing_closes
    union all
    select 'P4', median(cycle_days::double) filter (where is_won) from trailing_closes
    union all
    select
        'P5',
        (
            select count(*) from {{ ref('int_deal_actions') }}
            where action_type = 'activity' and acted_on >= (select day from trailing_start)
        ) / nullif((
            select count(*) from {{ ref('int_stage_transitions') }}
            where is_forward and changed_on >= (select day from trailing_start)
        ), 0)
    union all
    select
        'P6',
        (
            select count(*) from outcomes
            where created_on >= (select day from trailing_start)
        )
        * (count(*) filter (where is_won) / nullif(count(*), 0))
        * {{ exact_avg('greatest(amount, 0)', 'is_won') }}
        / nullif(median(cycle_days::double) filter (where is_won), 0)
    from trailing_closes
    union all
    select 'P7', median(value)
    from {{ ref('rep_skills') }}
    where period_type = 'trailing' and metric_id = 'P7'
    union all
    select
        'P8',
        coalesce({{ exact_sum('greatest(start_amount, 0)', 'is_won_in_quarter') }}, 0)
        / nullif({{ exact_sum('greatest(start_amount, 0)') }}, 0)
    from {{ ref('int_deal_quarter_states') }}
    where
        was_committed
        and was_due_in_quarter
        and quarter_end <= {{ as_of_date() }}
        and quarter_start >= (select day from trailing_start)
),

freshness as (
    select * from {{ ref('int_source_freshness') }}
),

governance_inputs as (
    select
        'K1' as metric_id,
        max(freshness_hours) as org_value,
        'stalest: ' || coalesce(
            list(table_name order by freshness_hours desc nulls last, table_name asc)[1], 'none'
        )
        || coalesce(
            '; empty: ' || string_agg(table_name, ', ' order by table_name)
            filter (where freshness_status = 'empty'), ''
        ) as note
    from freshness
    union all
    select
        'K2',
        -- K2: share of deals with change history
        (
            select count(distinct changes.deal_id)
            from {{ ref('int_deal_changes') }} as changes
            inner join deals on changes.deal_id = deals.deal_id
            where changes.changed_on <= {{ as_of_date() }}
        ) / nullif((select count(*) from deals), 0),
        'tracked fields in the history: ' || coalesce((
            select string_agg(distinct field, ', ' order by field)
            from {{ ref('int_deal_changes') }}
            where changed_on <= {{ as_of_date() }}
        ), 'none')
),

final as (
    select
        metric_id,
        cast(org_value as double) as org_value,
        null::double as threshold_value,
        null::varchar as note
    from hygiene
    union all
    select
        leader_signals.metric_id,
        cast(leader_signals.org_value as double),
        cast(leader_signals.threshold_value as double),
        other_signal_notes.note
    from leader_signals
    left join other_signal_notes
        on leader_signals.metric_id = other_signal_notes.metric_id
    union all
    select metric_id, cast(org_value as double), null::double, null::varchar from other
    union all
    select metric_id, cast(org_value as double), null::double, note from governance_inputs
)

select * from final
