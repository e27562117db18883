{#- K1 per raw table: hours from its last load to the run's reference moment, which is
    the latest load of any raw table (the run's extract) but never before as_of's
    midnight: rebuilding old raw data as of a later date shows it as stale. No
    now(): the same raw data and as_of give the same hours. A table's last load is
    its last successful sync (sync_state.table_syncs), so a table an incremental
    sync found nothing new for is fresh; its newest _loaded_at where no sync was
    recorded. -#}

{% set raw_tables = [
    ('raw_salesforce', 'user', 'salesforce', 'User'),
    ('raw_salesforce', 'user_role', 'salesforce', 'UserRole'),
    ('raw_salesforce', 'account', 'salesforce', 'Account'),
    ('raw_salesforce', 'opportunity', 'salesforce', 'Opportunity'),
    ('raw_salesforce', 'opportunity_stage', 'salesforce', 'OpportunityStage'),
    ('raw_salesforce', 'opportunity_history', 'salesforce', 'OpportunityHistory'),
    ('raw_salesforce', 'opportunity_field_history', 'salesforce', 'OpportunityFieldHistory'),
    ('raw_salesforce', 'task', 'salesforce', 'Task'),
    ('raw_salesforce', 'event', 'salesforce', 'Event'),
    ('raw_salesforce', 'opportunity_contact_role', 'salesforce', 'OpportunityContactRole'),
] %}

with syncs as (
    select
        schema_name || '.' || table_name as table_name,
        synced_at
    from {{ source('sync_state', 'table_syncs') }}
),

landed as (
    {% for schema, table, source_name, crm_object in raw_tables %}
    select
        '{{ source_name }}' as source,
        '{{ schema }}.{{ table }}' as table_name,
        '{{ crm_object }}' as crm_object,
        count(*) as row_count,
        max(_loaded_at) as last_row_loaded_at
    from {{ source(schema, table) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

loads as (
    select
        landed.source,
        landed.table_name,
        landed.crm_object,
        landed.row_count,
        -- an empty table has no age (reported as empty)
        case
            when landed.row_count > 0
                then greatest(landed.last_row_loaded_at, syncs.synced_at)
        end as last_loaded_at
    from landed
    left join syncs on landed.table_name = syncs.table_name
),

reference as (
    select greatest(max(last_loaded_at), {{ local_midnight(as_of_date()) }}) as reference_at
    from loads
),

final as (
    select
        loads.source,
        loads.table_name,
        loads.crm_object,
        cast(loads.row_count as bigint) as row_count,
        loads.last_loaded_at,
        reference.reference_at,
        epoch(reference.reference_at - loads.last_loaded_at) / 3600.0 as freshness_hours,
        case
            when loads.last_loaded_at is null then 'empty'
            when epoch(reference.reference_at - loads.last_loaded_at) / 3600.0
                >= {{ var('freshness_error_hours') }} then 'error'
            when epoch(reference.reference_at - loads.last_loaded_at) / 3600.0
                >= {{ var('freshness_warn_hours') }} then 'warn'
            else 'pass'
        end as freshness_status
    from loads
    cross join reference
)

select * from final
