with

source as (

    select * from {{ ref('stg_events__checked') }}
    where row_outcome = 'kept'

),

renamed as (

    select
        message_id,
        event_name,
        received_event_name,
        user_id,
        anonymous_id,
        event_at,
        received_at,
        properties,
        context,
        channel,
        is_known_event,
        is_event_name_variant
    from source

)

select * from renamed
