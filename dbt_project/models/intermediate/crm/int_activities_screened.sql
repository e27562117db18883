{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='activity_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ activity_delete_changed() }}",
    post_hook="{{ activity_record_build() }}",
) }}

{#- Every canonical activity, with the problems that keep it out of the metrics
    (quarantine_problems: empty for a valid activity). int_activities keeps the
    valid ones; quarantine.activities lists the others (macros/quarantine.sql).
    A table: int_activities, which several models read, is a filter over it, so
    the screening joins run once. Incremental by activity on DuckDB
    (macros/incremental_as_of.sql): a night recomputes the activities that landed,
    those of the deals that landed, and those the new as_of crossed. -#}
-- parsed unconditionally, so dbt sees the inputs the hooks and the scope ref():
{%- do activity_inputs() + deal_action_references() %}
{%- set scope = activity_scope() if incremental_enabled() and is_incremental() else none -%}
{%- set partial = scope is not none and not scope.full %}

{%- set crm_activities %}
    select
        activity_id, source, type, deal_id, owner_id, created_by, created_at, occurred_at,
        is_closed, unparsed_date_text
    from {{ ref('int_salesforce__activities') }}

    union all

    select
        activity_id, source, type, deal_id, owner_id, created_by, created_at, occurred_at,
        is_closed, cast(null as string) as unparsed_date_text
    from {{ ref('int_hubspot__activities') }}
{%- endset %}

with changed_activities as (
    {%- if partial %}
    -- Written out twice, not a CTE read twice (DuckDB would materialise it whole),
    -- and not an OR: each list is pushed down to the raw rows on its own.
    select * from ({{ crm_activities }}) as crm_activities
    where activity_id in ({{ activity_changed_ids(scope) }})
    union
    select * from ({{ crm_activities }}) as crm_activities
    where deal_id in ({{ activity_changed_deals(scope) }})
    {%- else %}
    {{- crm_activities }}
    {%- endif %}
),

deals as (
    select deal_id from {{ ref('int_deals_screened') }}
),

users as (
    select user_id from {{ ref('int_users') }}
),

dated as (
    select
        *,
        {{ local_date('created_at') }} as created_on,
        {{ local_date('occurred_at') }} as occurred_on
    from changed_activities
),

completed as (
    select
        *,
        -- events have no status: done once they happened
        coalesce(is_closed, occurred_on <= {{ as_of_date() }}, false) as is_completed
    from dated
),

referenced as (
    select
        completed.*,
        deals.deal_id as known_deal_id,
        users.user_id as known_owner_id
    from completed
    left join deals on completed.deal_id = deals.deal_id
    left join users on completed.owner_id = users.user_id
),

final as (
    select
        activity_id,
        source,
        type,
        deal_id,
        owner_id,
        created_by,
        created_at,
        created_on,
        occurred_at,
        occurred_on,
        is_completed,
        -- a planned next action on as_of: known by then, not done, due on or after as_of
        coalesce(
            created_on <= {{ as_of_date() }}
            and not is_completed
            and occurred_on >= {{ as_of_date() }},
            false
        ) as is_open_future,
        {#- the second date rule: no usable date at all, not even a creation time -#}
        {{ quarantine_problems([
            quarantine_rule(
                'unparsed_date_text is not null', 'unparseable_date', 'activity_date',
                'unparsed_date_text'
            ),
            quarantine_rule('occurred_at is null', 'unparseable_date', 'occurred_at', 'null'),
            absurd_date_rule('occurred_on', 'occurred_at'),
            orphan_rule('deal_id', 'known_deal_id', 'orphan_deal', 'deal_id'),
            orphan_rule('owner_id', 'known_owner_id', 'orphan_owner', 'owner_id'),
        ]) }} as quarantine_problems
    from referenced
)

select * from final
