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
