{#- Teams: a team leader is a Sales Director (depth 1) or anyone deeper with a
    direct report; the team is everyone below the leader and the leader (whose own
    deals count too). The top of the hierarchy leads the organisation: every user,
    so that the organisation row covers every deal, the CEO's own included (users
    under another top or in a manager cycle belong to no director but still count
    here). The CEO is the top with the most users below, then the first by id. -#}

with users as (
    select * from {{ ref('dim_users') }}
),

user_leaders as (
    select * from {{ ref('int_user_leaders') }}
),

team_leaders as (
    select
        users.user_id,
        case when users.depth = 1 then 'director' else 'manager' end as team_level
    from users
    where
        users.depth = 1
        or (users.depth > 1 and exists (
            select 1 from users as reports
            where reports.manager_id = users.user_id and reports.user_id != users.user_id
        ))
),

organisation_leader as (
    select ceo_id as user_id
    from users
    where ceo_id is not null
    group by ceo_id
    order by count(*) desc, ceo_id
    limit 1
),

final as (
    select
        user_leaders.leader_id as team_leader_id,
        team_leaders.team_level,
        user_leaders.user_id
    from user_leaders
    inner join team_leaders
        on user_leaders.leader_id = team_leaders.user_id

    union all

    select
        user_id as team_leader_id,
        team_level,
        user_id
    from team_leaders

    union all

    select
        organisation_leader.user_id as team_leader_id,
        'organisation' as team_level,
        users.user_id
    from organisation_leader
    cross join users
)

select * from final
