with

source as (

    select * from {{ ref('stg_product_catalog__checked') }}
    where row_outcome = 'kept'

),

renamed as (

    select
        product_id,
        product_name,
        category,
        price,
        currency,
        stock_quantity,
        image_url,
        product_url,
        replenishment_days,
        updated_at
    from source

)

select * from renamed
