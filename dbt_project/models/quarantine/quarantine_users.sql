{{ config(alias='users') }}

{#- Users the manager hierarchy cannot place as the CRM or org chart gives it, one
    row per problem. They stay in the metrics as reps; what they lose is their
    place in the tree (depth, director, leaders), so this says why and where the
    chain loops, to fix it in the CRM or the org chart. A self-manager is placed
    at the top of their own tree, flagged because that is rarely meant. -#}
with recursive users as (
    select
        *,
        coalesce(name, user_id) as shown_name
    from {{ ref('int_users') }}
),

-- Walk up from every user no top reaches until a manager repeats: the walk ends in
-- a cycle, which the user is in when it comes back to them.
manager_walk as (
    select
        user_id as start_id,
        manager_id as current_id,
        {{ list_of('user_id') }} as chain,
        {{ list_of('shown_name') }} as chain_names
    from users
    where hierarchy_path is null

    union all

    select
        manager_walk.start_id,
        users.manager_id as current_id,
        {{ list_append('manager_walk.chain', 'users.user_id') }} as chain,
        {{ list_append('manager_walk.chain_names', 'users.shown_name') }} as chain_names
    from manager_walk
    inner join users
        on manager_walk.current_id = users.user_id
    where not {{ list_contains('manager_walk.chain', 'manager_walk.current_id') }}
),

loops as (
    select
        manager_walk.start_id as user_id,
        manager_walk.current_id = manager_walk.start_id as is_in_cycle,
        -- e.g. "Rep > Manager A > Manager B > Manager A": where the chain loops
        {{ list_join(list_append(
            'manager_walk.chain_names',
            list_at(
                'manager_walk.chain_names',
                list_position('manager_walk.chain', 'manager_walk.current_id')
            )
        ), ' > ') }} as chain
    from manager_walk
    where {{ list_contains('manager_walk.chain', 'manager_walk.current_id') }}
),

problems as (
    select
        users.user_id,
        users.source,
        case
            when users.manager_id = users.user_id then 'self_manager'
            when loops.is_in_cycle then 'manager_cycle'
            else 'under_manager_cycle'
        end as reason,
        coalesce(loops.chain, users.shown_name || ' > ' || users.shown_name) as chain,
        users.manager_id,
        users.name,
        users.email
    from users
    left join loops
        on users.user_id = loops.user_id
    where users.manager_id = users.user_id or users.hierarchy_path is null
)

select
    user_id,
    source,
    reason,
    'manager_id' as field,
    chain as value,
    manager_id,
    name,
    email,
    {{ as_of_date() }} as as_of
from problems
