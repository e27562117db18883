with source as (
    select * from {{ hubspot_source('owners') }}
),

renamed as (
    select
        id as owner_id,
        -- userId is null once a user is deactivated; the id survives here
        useridincludinginactive as user_id,
        userid as active_user_id,
        email as email,
        firstname as first_name,
        lastname as last_name,
        type as owner_type,
        archived as is_archived,
        {{ hubspot_timestamp('createdat') }} as created_at,
        {{ hubspot_timestamp('updatedat') }} as updated_at,
        _loaded_at as _loaded_at
    from source
)

select * from renamed
