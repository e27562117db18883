with source as (
    select * from {{ hubspot_source('owner_teams') }}
),

renamed as (
    select
        id as owner_team_id,
        owner_id,
        team_id,
        team_name,
        is_primary,
        _loaded_at
    from source
)

select * from renamed
