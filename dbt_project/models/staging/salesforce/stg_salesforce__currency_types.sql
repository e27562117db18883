with source as (
    select * from {{ source('raw_salesforce', 'currency_type') }}
),

renamed as (
    select
        isocode as currency_code,
        conversionrate as conversion_rate,
        decimalplaces as decimal_places,
        iscorporate as is_corporate,
        isactive as is_active,
        _loaded_at as _loaded_at
    from source
)

select * from renamed
