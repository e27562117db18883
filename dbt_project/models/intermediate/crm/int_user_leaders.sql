{{ config(materialized='table') }}

with users as (
    select * from {{ ref('int_users') }}
    -- users in a manager cycle have no path, hence no leaders
    where hierarchy_path is not null
),

path_positions as (
    select
        user_id,
        source,
        {{ unnest_item('hierarchy_path', 'leader_id', index_alias='path_index') }},
        {{ list_length('hierarchy_path') }} as path_length
    from users
),

leaders as (
    select
        path_positions.user_id,
        path_positions.leader_id,
        path_positions.source,
        cast(path_positions.path_length - 1 - path_positions.path_index as integer) as distance
    from path_positions
),

final as (
    select
        leaders.user_id,
        leaders.leader_id,
        leaders.source,
        leaders.distance,
        leaders.distance = 1 as is_direct,
        leader_users.depth as leader_depth,
        -- the leader's direct report on the way down to the user (the user at distance 1)
        {{ list_at('users.hierarchy_path', 'leader_users.depth + 2') }} as via_report_id
    from leaders
    inner join users
        on leaders.user_id = users.user_id
    inner join users as leader_users
        on leaders.leader_id = leader_users.user_id
    where leaders.distance >= 1
)

select * from final
