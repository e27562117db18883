{#- The inputs of int_deal_changes (a view) for the incremental models built on it
    (int_deal_field_history, int_deal_stage_history), for macros/incremental.sql.
    Keyed inputs: every relation whose rows belong to one deal, with its deal id
    column (a deal's record carries its currency and close date, which pick its
    amounts' rate, and HubSpot's archived flag and creation time). References:
    what any deal's rows may read (currency rates, stage labels, owners of
    changes), fingerprinted. -#}
{% macro deal_change_inputs() -%}
    {{ return([
        (ref('stg_salesforce__opportunities'), 'opportunity_id'),
        (ref('stg_salesforce__opportunity_field_history'), 'opportunity_id'),
        (ref('stg_hubspot__deals'), 'deal_id'),
        (ref('stg_hubspot__deal_property_history'), 'deal_id'),
    ]) }}
{%- endmacro %}


{% macro deal_change_references() -%}
    {{ return([
        ref('stg_salesforce__currency_types'),
        ref('stg_salesforce__dated_conversion_rates'),
        ref('stg_hubspot__deal_stages'),
        ref('stg_hubspot__owners'),
    ]) }}
{%- endmacro %}


{#- int_deal_stage_history also places each change on its pipeline's stages. -#}
{% macro deal_stage_references() -%}
    {{ return(deal_change_references() + [ref('stg_salesforce__opportunity_stages')]) }}
{%- endmacro %}


{#- int_deal_actions (macros/incremental_as_of.sql): the deals' own inputs, and the
    activities', keyed by activity (one can move to another deal: its landed row
    names the new deal only). A deal's actions also read its owner periods, outcome
    and as-of state, all from its own inputs and the references. -#}
{% macro deal_action_activity_inputs() -%}
    {{ return([
        (ref('stg_salesforce__tasks'), 'task_id'),
        (ref('stg_salesforce__events'), 'event_id'),
        (ref('stg_hubspot__calls'), 'call_id'),
        (ref('stg_hubspot__emails'), 'email_id'),
        (ref('stg_hubspot__meetings'), 'meeting_id'),
        (ref('stg_hubspot__notes'), 'note_id'),
        (ref('stg_hubspot__tasks'), 'task_id'),
        (ref('stg_hubspot__engagement_deal_associations'), 'engagement_id'),
    ]) }}
{%- endmacro %}


{#- Users decide which activities and deals are orphans (quarantined). -#}
{% macro deal_action_references() -%}
    {{ return(deal_stage_references() + [ref('int_users')]) }}
{%- endmacro %}


{#- Dated events the as-of date crosses: (relation, deal id, date, years ahead). -#}
{% macro deal_action_as_of_events() -%}
    {%- set ahead = var('quarantine_max_years_ahead') | int -%}
    {{ return([
        (ref('int_deal_field_history'), 'deal_id', 'changed_on', 0),
        (ref('int_deals_screened'), 'deal_id', 'created_on', 0),
        (ref('int_deals_screened'), 'deal_id', 'close_date', ahead),
        (ref('int_activities_screened'), 'deal_id', 'created_on', 0),
        (ref('int_activities_screened'), 'deal_id', 'occurred_on', ahead),
    ]) }}
{%- endmacro %}


{#- What else its rows read that no input row carries: the fiscal calendar and the
    rules' settings. -#}
{% macro deal_action_settings() -%}
    {{ return([
        fiscal_quarter_start('d'), fiscal_quarter_next_start('d'), iso_week('d'),
        var('late_quarter_days') | string, var('quarantine_min_date') | string,
        var('quarantine_max_years_ahead') | string,
    ]) }}
{%- endmacro %}


{% macro deal_action_inputs() -%}
    {{ return(deal_change_inputs() + deal_action_activity_inputs()) }}
{%- endmacro %}


{#- int_deal_actions' build scope (macros/incremental_as_of.sql), once per build. -#}
{% macro deal_action_scope() -%}
    {{ return(incremental_scope(
        deal_action_inputs(), deal_action_references(), deal_action_as_of_events(),
        deal_action_settings()
    )) }}
{%- endmacro %}


{#- The deals whose actions an incremental build recomputes, and the activities. -#}
{% macro deal_action_changed_deals(scope) -%}
    {{ as_of_changed_deal_ids(deal_change_inputs(), deal_action_as_of_events(), scope) }}
{%- endmacro %}


{% macro deal_action_changed_activities(scope) -%}
    {{ incremental_changed_keys(deal_action_activity_inputs(), scope.watermark) }}
{%- endmacro %}


{#- Pre-hook: drop the actions the build recomputes (incremental_delete_changed's,
    by deal and by activity). -#}
{% macro deal_action_delete_changed() -%}
    {%- if incremental_enabled() and is_incremental() -%}
        {%- set scope = deal_action_scope() -%}
        delete from {{ this }}
        {%- if not scope.full %}
        where
            deal_id in ({{ deal_action_changed_deals(scope) }})
            or action_id in ({{ deal_action_changed_activities(scope) }})
        {%- endif %}
    {%- endif -%}
{%- endmacro %}


{% macro deal_action_record_build() -%}
    {{ incremental_record_build(
        deal_action_inputs(), deal_action_references(), deal_action_as_of_events(),
        deal_action_settings()
    ) }}
{%- endmacro %}
