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


{#- The as-of cuts of the deals' history kept by deal (macros/incremental_as_of.sql):
    int_deal_field_periods, int_stage_entries. A deal's rows read its own inputs,
    its state on as_of (int_deals_as_of, whose quarantine verdict reads users and
    stages) and the references. The as-of date moves them where it crosses one of
    the deal's changes, its creation or the absurd-close-date horizon. -#}
{% macro deal_period_as_of_events() -%}
    {%- set ahead = var('quarantine_max_years_ahead') | int -%}
    {{ return([
        (ref('int_deal_field_history'), 'deal_id', 'changed_on', 0),
        (ref('int_deals_screened'), 'deal_id', 'created_on', 0),
        (ref('int_deals_screened'), 'deal_id', 'close_date', ahead),
    ]) }}
{%- endmacro %}


{#- The quarantine rules' settings (the as-of rules' dates): what any screened row
    reads that no input row carries. -#}
{% macro quarantine_settings() -%}
    {{ return([var('quarantine_min_date') | string, var('quarantine_max_years_ahead') | string]) }}
{%- endmacro %}


{#- `settings`: what else the model's rows read that no input row carries, beside
    the quarantine rules' settings (int_stage_entries' fiscal quarter). -#}
{% macro deal_period_scope(settings=[]) -%}
    {{ return(incremental_scope(
        deal_change_inputs(), deal_action_references(), deal_period_as_of_events(),
        quarantine_settings() + settings
    )) }}
{%- endmacro %}


{#- The deals whose rows an incremental build recomputes (incremental_key_list). -#}
{% macro deal_period_changed_deals(scope) -%}
    {{ return(incremental_key_list(
        'deals', as_of_changed_deal_ids(deal_change_inputs(), deal_period_as_of_events(), scope)
    )) }}
{%- endmacro %}


{#- Pre-hook: drop the recomputed deals' rows (all on a full rebuild), deals that lost
    every row included. -#}
{% macro deal_period_delete_changed(settings=[]) -%}
    {%- if incremental_enabled() and is_incremental() -%}
        {%- set scope = deal_period_scope(settings) -%}
        delete from {{ this }}
        {%- if not scope.full %}
        where deal_id in ({{ deal_period_changed_deals(scope) }})
        {%- endif %}
    {%- endif -%}
{%- endmacro %}


{% macro deal_period_record_build(settings=[]) -%}
    {{ incremental_record_build(
        deal_change_inputs(), deal_action_references(), deal_period_as_of_events(),
        quarantine_settings() + settings
    ) }}
{%- endmacro %}


{#- int_stage_entries' own setting: the quarter an entry falls in. -#}
{% macro stage_entry_settings() -%}
    {{ return([fiscal_quarter_start('d')]) }}
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


{#- Dated events the as-of date crosses: (relation, deal id, date, years ahead). A
    deal's actions also move with its activities' dates. -#}
{% macro deal_action_as_of_events() -%}
    {%- set ahead = var('quarantine_max_years_ahead') | int -%}
    {{ return(deal_period_as_of_events() + [
        (ref('int_activities_screened'), 'deal_id', 'created_on', 0),
        (ref('int_activities_screened'), 'deal_id', 'occurred_on', ahead),
    ]) }}
{%- endmacro %}


{#- What else its rows read that no input row carries: the fiscal calendar and the
    rules' settings. -#}
{% macro deal_action_settings() -%}
    {{ return(quarantine_settings() + [
        fiscal_quarter_start('d'), fiscal_quarter_next_start('d'), iso_week('d'),
        var('late_quarter_days') | string,
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


{#- The deals whose actions an incremental build recomputes, and the activities
    (incremental_key_list). -#}
{% macro deal_action_changed_deals(scope, either=false) -%}
    {{ return(incremental_key_list(
        'deals', as_of_changed_deal_ids(deal_change_inputs(), deal_action_as_of_events(), scope),
        either=either
    )) }}
{%- endmacro %}


{#- Only ever one side of an OR with the deals. -#}
{% macro deal_action_changed_activities(scope) -%}
    {{ return(incremental_key_list(
        'activities', incremental_changed_keys(deal_action_activity_inputs(), scope.watermark),
        either=true
    )) }}
{%- endmacro %}


{#- Pre-hook: drop the actions the build recomputes (incremental_delete_changed's,
    by deal and by activity). -#}
{% macro deal_action_delete_changed() -%}
    {%- if incremental_enabled() and is_incremental() -%}
        {%- set scope = deal_action_scope() -%}
        delete from {{ this }}
        {%- if not scope.full %}
        where
            deal_id in ({{ deal_action_changed_deals(scope, either=true) }})
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


{#- int_activities_screened (macros/incremental_as_of.sql), keyed by activity: its
    own rows (deal_action_activity_inputs), and its deal's record, whose presence
    decides an orphan. What as_of decides (done, planned, an absurd date) moves only
    for the activities the as-of window crosses. -#}
{% macro activity_deal_inputs() -%}
    {{ return([
        (ref('stg_salesforce__opportunities'), 'opportunity_id'),
        (ref('stg_hubspot__deals'), 'deal_id'),
    ]) }}
{%- endmacro %}


{% macro activity_inputs() -%}
    {{ return(deal_action_activity_inputs() + activity_deal_inputs()) }}
{%- endmacro %}


{% macro activity_scope() -%}
    {{ return(incremental_scope(
        activity_inputs(), deal_action_references(), [], quarantine_settings()
    )) }}
{%- endmacro %}


{#- The activities an incremental build recomputes (incremental_key_list): those
    that landed, those the as-of window crosses (read from the model's own rows
    before its pre-hook deletes any), and those on a deal that landed. An activity
    that moved to another deal landed itself, so its deal now is as good as the
    one it had. -#}
{% macro activity_changed_ids(scope) -%}
    {{ return(incremental_key_list('activities', activity_changed_id_query(scope))) }}
{%- endmacro %}


{% macro activity_changed_deals(scope) -%}
    {{ return(incremental_key_list(
        'deals', incremental_changed_deal_ids(activity_deal_inputs(), scope.watermark)
    )) }}
{%- endmacro %}


{% macro activity_changed_id_query(scope) -%}
    {%- set ahead = var('quarantine_max_years_ahead') | int -%}
    {{ incremental_changed_keys(deal_action_activity_inputs(), scope.watermark) }}
    {%- if scope.window %}
    union
    -- done by, still planned on, created by or absurd after the new as_of only
    select activity_id from {{ this }}
    where
        occurred_on between date '{{ scope.window[0] }}' and date '{{ scope.window[1] }}'
        or (created_on > date '{{ scope.window[0] }}' and created_on <= date '{{ scope.window[1] }}')
        or (
            occurred_on > date '{{ scope.window[0] }}' + interval {{ ahead }} year
            and occurred_on <= date '{{ scope.window[1] }}' + interval {{ ahead }} year
        )
    {%- endif %}
{%- endmacro %}


{#- Pre-hook: drop the landed activities' rows (one deleted in the CRM has no new
    row). The others it recomputes keep theirs until dbt's delete+insert replaces
    them by activity_id (their ids were read from this table when the build's SQL
    was compiled, before this hook). -#}
{% macro activity_delete_changed() -%}
    {%- if incremental_enabled() and is_incremental() -%}
        {%- set scope = activity_scope() -%}
        delete from {{ this }}
        {%- if not scope.full %}
        where activity_id in ({{ incremental_key_list(
            'landed activities',
            incremental_changed_keys(deal_action_activity_inputs(), scope.watermark)
        ) }})
        {%- endif %}
    {%- endif -%}
{%- endmacro %}


{% macro activity_record_build() -%}
    {{ incremental_record_build(
        activity_inputs(), deal_action_references(), [], quarantine_settings()
    ) }}
{%- endmacro %}
