{{ config(materialized='ephemeral') }}

{#- Org-wide values of the micromanagement signals M1-M6: each signal's median over
    all leader-weeks and its effective threshold (the same formula
    leader_signals_weekly applies, macros/metric_registry.sql). Part of
    int_metric_org_values. -#}

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

with signals as (
    select * from {{ ref('leader_signals_weekly') }}
),

leader_signals as (
    {% for signal in leading_signals %}
    select
        '{{ signal.metric_id }}' as metric_id,
        {{ percentile_cont('cast(' ~ signal.column ~ ' as double)', 0.5) }} as org_value,
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
        select cast(null as string) as metric_id, cast(null as string) as note
        where false
    )
    group by metric_id
),

final as (
    select
        leader_signals.metric_id,
        cast(leader_signals.org_value as double) as org_value,
        cast(leader_signals.threshold_value as double) as threshold_value,
        other_signal_notes.note
    from leader_signals
    left join other_signal_notes
        on leader_signals.metric_id = other_signal_notes.metric_id
)

select * from final
