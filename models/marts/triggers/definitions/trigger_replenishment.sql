{#-
    replenishment: every purchase of a product with a cycle (int_product_purchases_sequenced:
    the catalog's replenishment_days, else the contact's own median interval), anchored
    var trigger_replenishment_lead_days (3) before the cycle ends (never before the purchase);
    series_id = product_id @ order_id. Cancelled ('repurchased') by the contact's next
    purchase of the product, so only the latest purchase's series stays live.
    Payload: the product, the quantity last bought and the cycle.
-#}

with

purchases as (

    select * from {{ ref('int_product_purchases_sequenced') }}
    where cycle_days is not null

),

products as (

    select * from {{ ref('int_products_current') }}

),

anchored as (

    select
        purchases.*,
        case
            when purchases.cycle_days > {{ var('trigger_replenishment_lead_days') }}
                then {{ dbt.dateadd('day', 'purchases.cycle_days - ' ~ var('trigger_replenishment_lead_days'), 'purchases.purchased_at') }}
            else purchases.purchased_at
        end as anchor_at
    from purchases

)

select
    anchored.contact_id,
    'replenishment' as trigger_key,
    {{ dbt.concat(['anchored.product_id', "'@'", 'anchored.order_id']) }} as series_id,
    anchored.anchor_at,
    anchored.next_purchased_at as cancelled_at,
    case when anchored.next_purchased_at is not null then 'repurchased' end as cancel_reason,
    cast(null as {{ dbt.type_string() }}) as reentry_key,
    {{ nudge.json_object_text([
        ('product', nudge.json_object_text([
            ('product_id', 'anchored.product_id', 'string'),
            ('name', 'coalesce(products.product_name, anchored.product_name)', 'string'),
            ('price', 'coalesce(products.price, anchored.price)', 'number'),
            ('image_url', 'products.image_url', 'string'),
            ('url', 'products.product_url', 'string'),
        ]), 'json'),
        ('order_id', 'anchored.order_id', 'string'),
        ('purchased_at', nudge.timestamp_key('anchored.purchased_at'), 'string'),
        ('quantity', 'anchored.quantity', 'number'),
        ('cycle_days', 'anchored.cycle_days', 'number'),
        ('cycle_source', 'anchored.cycle_source', 'string'),
    ]) }} as payload
from anchored
left join products
    on anchored.product_id = products.product_id
