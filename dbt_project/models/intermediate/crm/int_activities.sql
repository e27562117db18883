{#- The activities the metrics read: every canonical activity without a quarantine problem. -#}
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
    is_open_future
from {{ ref('int_activities_screened') }}
where {{ list_length('quarantine_problems') }} = 0
