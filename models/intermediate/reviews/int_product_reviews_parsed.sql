{#-
    One row per review: the attributed Product Reviewed events up to `as_of`, their
    properties read (int_review_events_parsed). review_key identifies the review: its
    review_id, else product and time (a collector re-sending one review under new message
    ids keeps one row).
-#}

with

reviews as (

    select
        message_id,
        contact_id,
        reviewed_at,
        received_at,
        product_id,
        review_id,
        rating
    from {{ ref('int_review_events_parsed') }}

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
