{#- K1 per raw table of the CRM the run read: hours from its last load to the run's
    reference moment, which is the latest load of any of those tables (the run's
    extract) but never before as_of's midnight: rebuilding old raw data as of a
    later date shows it as stale. No now(): the same raw data and as_of give the
    same hours. A table's last load is its last successful sync
    (sync_state.table_syncs), so a table an incremental sync found nothing new for
    is fresh; its newest _loaded_at where no sync was recorded. -#}

with syncs as (
    select
        schema_name || '.' || table_name as table_name,
        synced_at
    from {{ source('sync_state', 'table_syncs') }}
),

landed as (
    select
        raw_loads.*,
        syncs.synced_at
    from {{ ref('int_raw_table_loads') }} as raw_loads
    left join syncs on raw_loads.table_name = syncs.table_name
),

-- The CRM this run read: the one whose raw tables hold rows (a run leaves the other
-- CRM's tables empty, pipelines/crm_selection.py); with rows in both, the one synced
-- last; with none, Salesforce.
run_source as (
    select source
    from landed
    group by source
    order by sum(row_count) > 0 desc, max(synced_at) desc nulls last, source desc
    limit 1
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
                then greatest(landed.last_row_loaded_at, landed.synced_at)
        end as last_loaded_at
    from landed
    where landed.source in (select source from run_source)
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
        -- K1
        {{ seconds_between('loads.last_loaded_at', 'reference.reference_at') }} / 3600.0
            as freshness_hours,
        case
            when loads.last_loaded_at is null then 'empty'
            when {{ seconds_between('loads.last_loaded_at', 'reference.reference_at') }} / 3600.0
                >= {{ var('freshness_error_hours') }} then 'error'
            when {{ seconds_between('loads.last_loaded_at', 'reference.reference_at') }} / 3600.0
                >= {{ var('freshness_warn_hours') }} then 'warn'
            else 'pass'
        end as freshness_status
    from loads
    cross join reference
)

select * from final
