{#- One org-wide value per catalog metric on as_of (kpi_catalog.org_value), with a
    note where the value needs explaining, and each M-signal's effective threshold.
    The values read the marts on purpose: a metric's org value is its mart rolled up
    once more, never a second implementation of the metric. One model per theme
    (ephemeral: they are read only here). -#}

with hygiene as (
    select * from {{ ref('int_hygiene_org_values') }}
),

signals as (
    select * from {{ ref('int_signal_org_values') }}
),

process as (
    select * from {{ ref('int_process_org_values') }}
),

governance as (
    select * from {{ ref('int_governance_org_values') }}
),

final as (
    select metric_id, org_value, threshold_value, note from hygiene
    union all
    select metric_id, org_value, threshold_value, note from signals
    union all
    select metric_id, org_value, threshold_value, note from process
    union all
    select metric_id, org_value, threshold_value, note from governance
)

select * from final
