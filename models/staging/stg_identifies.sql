with

source as (

    select * from {{ ref('stg_identifies__checked') }}
    where row_outcome = 'kept'

),

renamed as (

    select
        message_id,
        user_id,
        anonymous_id,
        identified_at,
        received_at,
        email,
        email_is_invalid,
        first_name,
        last_name,
        phone,
        birthday,
        timezone,
        country,
        city,
        created_at
    from source

)

select * from renamed
