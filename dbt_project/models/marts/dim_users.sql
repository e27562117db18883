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
        users.manager_id,
        managers.name as manager_name,
        users.director_id,
        directors.name as director_name,
        users.ceo_id,
        ceos.name as ceo_name,
        users.depth,
        users.is_active,
        coalesce(direct_reports.active_direct_reports, 0) > 0 as is_manager,
        -- M9
        cast(coalesce(direct_reports.active_direct_reports, 0) as integer) as span_of_control
    from users
    left join direct_reports
        on users.user_id = direct_reports.manager_id
    left join users as managers
        on users.manager_id = managers.user_id
    left join users as directors
        on users.director_id = directors.user_id
    left join users as ceos
        on users.ceo_id = ceos.user_id
)

select * from final
