{#-
    One row per order_id (web and in-store Order Completed events; the first occurrence
    wins), net of refunds. A refund counts its `total` when given, else the full order
    total; an order's refunds together never exceed its total.
-#}

with

events as (

    select * from {{ ref('int_order_events_parsed') }}

),

order_events as (

    select
        order_id,
        contact_id,
        message_id,
        event_at as ordered_at,
        received_at,
        channel,
        total as order_total,
        coupon,
        row_number() over (
            partition by order_id
            order by event_at, received_at, message_id
        ) as occurrence
    from events
    where event_name = 'Order Completed'

),

orders as (

    select * from order_events
    where occurrence = 1

),

refund_events as (

    select
        order_id,
        total as refund_total,
        event_at as refunded_at
    from events
    where event_name = 'Order Refunded'

),

refunds as (

    select
        orders.order_id,
        count(*) as refund_count,
        max(refund_events.refunded_at) as last_refunded_at,
        sum(
            case
                when refund_events.refund_total is null then orders.order_total
                when refund_events.refund_total < 0 then 0
                else refund_events.refund_total
            end
        ) as refunds_requested
    from orders
    inner join refund_events
        on orders.order_id = refund_events.order_id
    group by orders.order_id

),

netted as (

    select
        orders.order_id,
        orders.contact_id,
        orders.message_id,
        orders.ordered_at,
        orders.received_at,
        orders.channel,
        orders.coupon,
        orders.order_total,
        coalesce(refunds.refund_count, 0) as refund_count,
        refunds.last_refunded_at,
        case
            when refunds.refunds_requested is null then 0
            when refunds.refunds_requested > orders.order_total then orders.order_total
            else refunds.refunds_requested
        end as refund_amount
    from orders
    left join refunds
        on orders.order_id = refunds.order_id

)

select
    order_id,
    contact_id,
    message_id,
    ordered_at,
    received_at,
    channel,
    coupon,
    cast(order_total as decimal(18, 2)) as order_total,
    refund_count,
    last_refunded_at,
    cast(refund_amount as decimal(18, 2)) as refund_amount,
    cast(order_total - refund_amount as decimal(18, 2)) as net_total
from netted
