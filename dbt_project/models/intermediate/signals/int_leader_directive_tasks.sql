{{ config(materialized='ephemeral') }}

{#- M2 directive tasks: per leader and ISO week, the activities a leader created
    for someone in their subtree (known on as_of). -#}

with user_leaders as (
    select * from {{ ref('int_user_leaders') }}
),

activities as (
    select * from {{ ref('int_activities') }}
    where created_on <= {{ as_of_date() }}
),

final as (
    select
        user_leaders.leader_id,
        cast(date_trunc('week', activities.created_on) as date) as week_start,
        count(*) as directive_tasks  -- M2
    from activities
    inner join user_leaders
        on
            activities.owner_id = user_leaders.user_id
            and activities.created_by = user_leaders.leader_id
    group by all
)

select * from final
