{#-
    One row per review: the attributed Product Reviewed events up to `as_of` with their
    properties read. review_key identifies the review: its review_id, else product and time
    (a collector re-sending one review under new message ids keeps one row).
-#}

with

reviews as (

    select
        message_id,
        contact_id,
        event_at as reviewed_at,
        received_at,
        {{ nudge.clean_text(nudge.json_text('properties', 'product_id')) }} as product_id,
        {{ nudge.clean_text(nudge.json_text('properties', 'review_id')) }} as review_id,
        {{ nudge.json_number('properties', 'rating') }} as rating
    from {{ ref('int_events_attributed') }}
    where
        event_name = 'Product Reviewed'
        and contact_id is not null
        and event_at <= {{ nudge.as_of() }}

),

keyed as (

    select
        *,
        coalesce(
            review_id,
            {{ dbt.concat(['product_id', "'@'", nudge.timestamp_key('reviewed_at')]) }}
        ) as review_key
    from reviews
    where product_id is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by contact_id, review_key
            order by reviewed_at, received_at, message_id
        ) as occurrence
    from keyed

)

select
    message_id,
    contact_id,
    review_key,
    review_id,
    product_id,
    cast(case when rating between 1 and 5 then rating end as {{ dbt.type_int() }}) as rating,
    reviewed_at
from ranked
where occurrence = 1
