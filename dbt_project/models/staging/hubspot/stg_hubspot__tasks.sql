with source as (
    select * from {{ hubspot_source('tasks') }}
),

renamed as (
    select
        id as task_id,
        hubspot_owner_id as owner_id,
        hs_created_by_user_id as created_by_user_id,
        hs_task_subject as subject,
        hs_task_status as status,
        hs_task_type as task_type,
        hs_task_priority as priority,
        archived as is_archived,
        -- a task's hs_timestamp is its due date
        {{ hubspot_timestamp('hs_timestamp') }} as due_at,
        {{ hubspot_timestamp('hs_task_completion_date') }} as completed_at,
        coalesce({{ hubspot_timestamp('hs_createdate') }}, {{ hubspot_timestamp('createdat') }})
            as created_at,
        {{ hubspot_timestamp('hs_lastmodifieddate') }} as modified_at,
        {{ hubspot_timestamp('archivedat') }} as archived_at,
        _loaded_at
    from source
)

select * from renamed
