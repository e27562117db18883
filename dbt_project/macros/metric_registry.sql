{#- The metric registry of kpi_catalog.yml (config.meta.metrics), the threshold vars
    whose default Trustgap chose and the HubSpot tables standing for each Salesforce
    table a metric reads. Macros, so a unit test can swap in a small registry. -#}
{% macro metric_registry() %}
    {{ return(model.config.meta.get('metrics', [])) }}
{% endmacro %}


{% macro trustgap_default_vars() %}
    {{ return(model.config.meta.get('trustgap_default_vars', [])) }}
{% endmacro %}


{% macro registry_hubspot_tables() %}
    {{ return(model.config.meta.get('hubspot_tables', {})) }}
{% endmacro %}


{#- The micromanagement signals, the one list leader_signals_weekly (thresholds,
    index, breached_signals) and int_metric_org_values (org values) are generated
    from: the registry metric, the leader_signals_weekly column, the var holding its
    absolute floor and, for a share, the leader's own count behind it, which must
    reach var leader_signal_min_actions for the share to breach. A macro rather
    than a field of kpi_catalog.yml: dbt unit tests see macros but not other
    models' config. tests/test_dbt_layers.py keeps it in step with the registry. -#}
{% macro micromanagement_signals() %}
    {{ return([
        {'metric_id': 'M1', 'column': 'leader_edit_share',
         'floor_var': 'leader_edit_share_floor', 'min_actions_column': 'leader_key_field_changes'},
        {'metric_id': 'M2', 'column': 'leader_activity_share',
         'floor_var': 'leader_activity_share_floor', 'min_actions_column': 'leader_activities'},
        {'metric_id': 'M2', 'column': 'directive_tasks',
         'floor_var': 'directive_tasks_floor', 'min_actions_column': none},
        {'metric_id': 'M3', 'column': 'forecast_overrides',
         'floor_var': 'forecast_overrides_floor', 'min_actions_column': none},
        {'metric_id': 'M4', 'column': 'late_quarter_takeovers',
         'floor_var': 'late_quarter_takeovers_floor', 'min_actions_column': none},
        {'metric_id': 'M5', 'column': 'reassignment_rate',
         'floor_var': 'reassignment_rate_floor', 'min_actions_column': 'reassignments'},
        {'metric_id': 'M6', 'column': 'touch_breadth',
         'floor_var': 'touch_breadth_floor', 'min_actions_column': 'touched_deals'},
    ]) }}
{% endmacro %}


{#- A signal's effective threshold over the leader-weeks aggregated: the larger of
    var leader_signal_median_multiple x its median and its absolute floor. -#}
{% macro signal_threshold(column, floor_var) -%}
    greatest(
        {{ var('leader_signal_median_multiple') }} * {{ percentile_cont('cast(' ~ column ~ ' as double)', 0.5) }},
        {{ var(floor_var) }}
    )
{%- endmacro %}
