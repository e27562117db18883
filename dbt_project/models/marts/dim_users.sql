with users as (
    select * from {{ ref('int_users') }}
),

direct_reports as (
    select
        manager_id,
        count(*) filter (where is_active) as active_direct_reports
    from users
    where manager_id is not null and manager_id != user_id
    group by manager_id
),

final as (
    select
        users.user_id,
        users.source,
        users.name,
        users.email,
        users.title,
        users.role,
        users.manager_id, {{ name_of('users.manager_id') }} as manager_name,
        users.director_id, {{ name_of('users.director_id') }} as director_name,
        users.ceo_id, {{ name_of('users.ceo_id') }} as ceo_name,
        users.depth,
        users.is_active,
        coalesce(direct_reports.active_direct_reports, 0) > 0 as is_manager,
        -- M9
        cast(coalesce(direct_reports.active_direct_reports, 0) as integer) as span_of_control
    from users
    left join direct_reports
        on users.user_id = direct_reports.manager_id
)

select * from final
