{#-
    One row per contact, product and order that bought it, up to `as_of` (any channel),
    in purchase order: the purchase before and after it, and the product's replenishment
    cycle for the contact: the catalog's replenishment_days when set, else the contact's
    own median interval between purchases of it (2+ purchases; intervals in seconds, the
    median rounded to whole days, at least 1). Null when neither exists.
-#}

with

lines as (

    select * from {{ ref('int_order_lines_unnested') }}
    where
        contact_id is not null
        and ordered_at <= {{ nudge.as_of() }}

),

purchases as (

    select
        contact_id,
        product_id,
        order_id,
        min(ordered_at) as purchased_at,
        sum(quantity) as quantity,
        max(product_name) as product_name,
        max(price) as price
    from lines
    group by contact_id, product_id, order_id

),

sequenced as (

    select
        *,
        row_number() over (
            partition by contact_id, product_id
            order by purchased_at, order_id
        ) as purchase_number,
        count(*) over (partition by contact_id, product_id) as purchases_count,
        lag(purchased_at) over (
            partition by contact_id, product_id
            order by purchased_at, order_id
        ) as previous_purchased_at,
        lead(purchased_at) over (
            partition by contact_id, product_id
            order by purchased_at, order_id
        ) as next_purchased_at,
        lead(order_id) over (
            partition by contact_id, product_id
            order by purchased_at, order_id
        ) as next_order_id
    from purchases

),

intervals as (

    select
        contact_id,
        product_id,
        {{ nudge.seconds_between('previous_purchased_at', 'purchased_at') }}
            as interval_seconds
    from sequenced
    where previous_purchased_at is not null

),

ranked_intervals as (

    select
        *,
        row_number() over (partition by contact_id, product_id order by interval_seconds) as interval_rank,
        count(*) over (partition by contact_id, product_id) as interval_count
    from intervals

),

-- the middle interval, or the mean of the two middle ones
median_intervals as (

    select
        contact_id,
        product_id,
        avg(cast(interval_seconds as decimal(18, 2))) as median_interval_seconds
    from ranked_intervals
    where
        interval_rank >= floor((interval_count + 1) / 2.0)
        and interval_rank <= ceil((interval_count + 1) / 2.0)
    group by contact_id, product_id

),

products as (

    select * from {{ ref('int_products_current') }}

),

cycles as (

    select
        sequenced.*,
        case when products.replenishment_days > 0 then products.replenishment_days end as catalog_cycle_days,
        case
            when median_intervals.median_interval_seconds >= 86400
                then round(cast(median_intervals.median_interval_seconds / 86400 as decimal(18, 6)), 0)
        end as own_cycle_days
    from sequenced
    left join products
        on sequenced.product_id = products.product_id
    left join median_intervals
        on
            sequenced.contact_id = median_intervals.contact_id
            and sequenced.product_id = median_intervals.product_id

)

select
    contact_id,
    product_id,
    order_id,
    purchased_at,
    cast(quantity as {{ dbt.type_int() }}) as quantity,
    product_name,
    cast(price as decimal(18, 2)) as price,
    cast(purchase_number as {{ dbt.type_int() }}) as purchase_number,
    cast(purchases_count as {{ dbt.type_int() }}) as purchases_count,
    previous_purchased_at,
    next_purchased_at,
    next_order_id,
    cast(coalesce(catalog_cycle_days, own_cycle_days) as {{ dbt.type_int() }}) as cycle_days,
    case
        when catalog_cycle_days is not null then 'catalog'
        when own_cycle_days is not null then 'own_median'
    end as cycle_source
from cycles
