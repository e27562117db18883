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
