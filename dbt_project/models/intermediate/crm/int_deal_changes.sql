{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='deal_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ incremental_delete_changed('deal_id', deal_change_inputs(), deal_change_references()) }}",
    post_hook="{{ incremental_record_build(deal_change_inputs(), deal_change_references()) }}",
) }}

{#- Incremental by deal on DuckDB (macros/incremental.sql, README "Incremental
    models"): nothing here depends on the as-of date, and seven models read these
    rows, so a night recomputes only the deals whose raw rows the landing wrote
    since the last build. -#}
-- depends_on: {{ ref('stg_salesforce__opportunities') }}
-- depends_on: {{ ref('stg_salesforce__opportunity_field_history') }}
-- depends_on: {{ ref('stg_salesforce__currency_types') }}
-- depends_on: {{ ref('stg_salesforce__dated_conversion_rates') }}
-- depends_on: {{ ref('stg_hubspot__deals') }}
-- depends_on: {{ ref('stg_hubspot__deal_property_history') }}
-- depends_on: {{ ref('stg_hubspot__deal_stages') }}
-- depends_on: {{ ref('stg_hubspot__owners') }}
with all_changes as (
    select change_id, source, deal_id, field, old_value, new_value, changed_by, changed_at
    from {{ ref('int_salesforce__deal_changes') }}
    union all
    select change_id, source, deal_id, field, old_value, new_value, changed_by, changed_at
    from {{ ref('int_hubspot__deal_changes') }}
),

final as (
    select
        change_id,
        source,
        deal_id,
        field,
        old_value,
        new_value,
        changed_by,
        changed_at,
        {{ local_date('changed_at') }} as changed_on
    from all_changes
)

select * from final
{{ incremental_deal_filter('deal_id', deal_change_inputs(), deal_change_references()) }}
