with source as (
    select * from {{ source('raw_salesforce', 'dated_conversion_rate') }}
),

renamed as (
    select
        id as dated_conversion_rate_id,
        isocode as currency_code,
        conversionrate as conversion_rate,
        {{ salesforce_date('startdate') }} as start_date,
        {{ salesforce_date('nextstartdate') }} as next_start_date,
        _loaded_at as _loaded_at
    from source
)

select * from renamed
