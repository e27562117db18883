{#- Teams: a team leader is a Sales Director (depth 1) or anyone deeper with a
    direct report; the team is everyone below the leader and the leader (whose own
    deals count too). -#}

with users as (
    select * from {{ ref('dim_users') }}
),

user_leaders as (
    select * from {{ ref('int_user_leaders') }}
),

team_leaders as (
    select users.user_id
    from users
    where
        users.depth = 1
        or (users.depth > 1 and exists (
            select 1 from users as reports
            where reports.manager_id = users.user_id and reports.user_id != users.user_id
        ))
),

final as (
    select
        user_leaders.leader_id as team_leader_id,
        user_leaders.user_id
    from user_leaders
    inner join team_leaders
        on user_leaders.leader_id = team_leaders.user_id

    union all

    select
        user_id as team_leader_id,
        user_id
    from team_leaders
)

select * from final
