{{ config(materialized='table') }}

{#- Every raw catalog row in effect by as_of, typed, with its check result and outcome. -#}

{%- set raw_columns = [
    'product_id',
    'name',
    'category',
    'price',
    'currency',
    'stock_quantity',
    'image_url',
    'url',
    'replenishment_days',
    'updated_at',
] %}

with

source as (

    select * from {{ source('raw', 'product_catalog') }}
    where {{ nudge.landed_by_as_of('updated_at') }}

),

renamed as (

    select
        {{ nudge.clean_text('product_id') }} as product_id,
        {{ nudge.clean_text('name') }} as product_name,
        {{ nudge.clean_text('category') }} as category,
        {{ nudge.safe_cast('price', 'decimal(12, 2)') }} as price,
        coalesce(upper({{ nudge.clean_text('currency') }}), 'USD') as currency,
        {{ nudge.safe_cast('stock_quantity', dbt.type_int()) }} as stock_quantity,
        {{ nudge.clean_text('image_url') }} as image_url,
        {{ nudge.clean_text('url') }} as product_url,
        {{ nudge.safe_cast('replenishment_days', dbt.type_int()) }} as replenishment_days,
        {{ nudge.safe_timestamp('updated_at') }} as updated_at,
        {{ nudge.any_invalid_text(['product_id', 'name', 'category', 'currency', 'image_url', 'url']) }}
            as has_invalid_text,
        {{ nudge.content_hash(['name', 'category', 'price', 'currency', 'stock_quantity', 'image_url', 'url', 'replenishment_days']) }}
            as content_hash,
        {{ nudge.row_to_json_text(raw_columns) }} as raw_row
    from source

),

checked as (

    select
        *,
        {{ nudge.first_failing_check([
            ('missing_product_id', 'product_id is null'),
            ('invalid_text', 'has_invalid_text'),
            ('missing_updated_at', 'updated_at is null'),
            ('before_earliest_date', 'updated_at < ' ~ nudge.earliest_event_at()),
            ('invalid_price', 'price is null or price < 0'),
        ]) }} as quarantine_reason
    from renamed

),

ranked as (

    select
        *,
        {{ nudge.dedupe_rank(['product_id', 'updated_at'], 'raw_row') }} as dedupe_rank,
        {{ nudge.kept_content_hash(['product_id', 'updated_at'], 'raw_row') }} as kept_content_hash
    from checked

)

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
    updated_at,
    {{ dbt.concat(['product_id', "'@'", dbt.cast('updated_at', dbt.type_string())]) }} as row_key,
    quarantine_reason,
    dedupe_rank,
    {{ nudge.row_outcome(['product_id', 'updated_at']) }} as row_outcome,
    {{ nudge.is_duplicate_conflict(['product_id', 'updated_at']) }} as is_duplicate_conflict,
    content_hash,
    kept_content_hash,
    raw_row
from ranked
