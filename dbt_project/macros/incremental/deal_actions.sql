{#- int_deal_action_history's inputs and changed rows for macros/incremental.sql.

    Its rows belong to a deal (the deal's key-field and owner changes, keyed by deal
    id) or to an activity (keyed by activity id: an activity can move to another
    deal, or off every deal, and its old row must go). A build recomputes the deals
    with a deal or history row landed since the watermark and the activities with a
    task, event, engagement or engagement-association row landed since then. -#}
{% macro deal_action_deal_inputs() -%}
    {{ return(deal_change_inputs()) }}
{%- endmacro %}


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


{#- Every input with _loaded_at: the watermark is the newest of them, and a
    replaced one (a full-refresh landing) forces a full build. -#}
{% macro deal_action_inputs() -%}
    {{ return(deal_action_deal_inputs() + deal_action_activity_inputs()) }}
{%- endmacro %}


{#- What any deal's rows may read besides their own inputs: the references of the
    deal changes (their HubSpot owners also name each creating user's owner id,
    int_hubspot__owner_user_ids). -#}
{% macro deal_action_references() -%}
    {{ return(deal_change_references()) }}
{%- endmacro %}


{#- Settings the rows are computed with (week and quarter columns): a change
    rebuilds every row. -#}
{% macro deal_action_settings() -%}
    {{ return([
        'fiscal_year_start_month=' ~ fiscal_year_start_month(),
        'fiscal_quarters=' ~ fiscal_quarter_start('d'),
        'late_quarter_days=' ~ var('late_quarter_days'),
    ]) }}
{%- endmacro %}


{#- The rows an incremental build deletes before inserting the deals it rebuilds
    (the model's rebuilt_deals: changed deals and the deals changed activities are
    on now): the changed deals' (one deleted or emptied leaves no row to replace
    its old ones) and the changed activities' (one may have left its deal).
    `scope` is incremental_scope()'s answer. -#}
{% macro deal_action_changed_rows(scope) -%}
    deal_id in ({{ incremental_changed_deal_ids(deal_action_deal_inputs(), scope.watermark) }})
    or (
        action_type = 'activity'
        and action_id in (
            {{ incremental_changed_deal_ids(deal_action_activity_inputs(), scope.watermark) }}
        )
    )
{%- endmacro %}


{% macro deal_action_scope() -%}
    {{ return(incremental_scope(
        deal_action_inputs(), deal_action_references(), deal_action_settings()
    )) }}
{%- endmacro %}


{#- Pre-hook: delete the rows the build recomputes (every row on a full rebuild). -#}
{% macro deal_action_delete_changed() -%}
    {%- if incremental_enabled() and is_incremental() -%}
        {%- set scope = deal_action_scope() -%}
        {{ log(model.name ~ ': ' ~ scope.reason, info=true) }}
        delete from {{ this }}
        {%- if not scope.full %}
        where {{ deal_action_changed_rows(scope) }}
        {%- endif %}
    {%- endif -%}
{%- endmacro %}


{% macro deal_action_record_build() -%}
    {{ incremental_record_build(
        deal_action_inputs(), deal_action_references(), deal_action_settings()
    ) }}
{%- endmacro %}
