{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='deal_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ incremental_delete_changed('deal_id', deal_change_inputs(), deal_change_references()) }}",
    post_hook="{{ incremental_record_build(deal_change_inputs(), deal_change_references()) }}",
) }}

{#- Every dated change of a deal's key fields, numbered per field in time order, with
    when the field's next change came: the per-deal history int_deal_field_periods
    cuts at as_of. Nothing here reads as_of (the changes up to any as_of are a prefix
    of each field's changes, so their numbers and next changes are the same), so it
    is incremental by deal on DuckDB (macros/incremental.sql, README "Incremental
    models"): a night renumbers only the deals whose raw rows the landing wrote
    since the last build. -#}
-- parsed unconditionally, so dbt sees the inputs the hooks and the scope ref():
{%- do deal_change_inputs() + deal_change_references() %}
{%- set scope = incremental_scope(deal_change_inputs(), deal_change_references())
    if incremental_enabled() and is_incremental() else none -%}
{%- set partial = scope is not none and not scope.full %}

with changes as (
    -- a change without a date is on no day: it opens no period
    select * from {{ ref('int_deal_changes') }}
    where
        changed_on is not null
        {%- if partial %}
        and deal_id in ({{ incremental_changed_deals(deal_change_inputs(), scope) }})
        {%- endif %}
),

final as (
    select
        change_id,
        source,
        deal_id,
        field,
        cast(row_number() over (
            partition by deal_id, field order by changed_at, change_id
        ) as integer) as change_number,
        old_value,
        new_value,
        changed_by,
        changed_at,
        changed_on,
        lead(changed_at) over (
            partition by deal_id, field order by changed_at, change_id
        ) as next_changed_at,
        lead(changed_on) over (
            partition by deal_id, field order by changed_at, change_id
        ) as next_changed_on
    from changes
)

select * from final
