{#-
    coupon_redeemers: 2+ orders up to as_of and a coupon on at least half of them (the
    order's coupon property, or a Coupon Applied event naming the order).
-#}

with

orders as (

    select * from {{ ref('int_orders_netted') }}
    where
        contact_id is not null
        and ordered_at <= {{ nudge.as_of() }}

),

coupons_applied as (

    select distinct order_id
    from {{ ref('int_coupon_events_parsed') }}
    where
        coupon is not null
        and applied_at <= {{ nudge.as_of() }}

),

per_contact as (

    select
        orders.contact_id,
        count(*) as orders_count,
        sum(
            case when orders.coupon is not null or coupons_applied.order_id is not null then 1 else 0 end
        ) as coupon_orders
    from orders
    left join coupons_applied
        on orders.order_id = coupons_applied.order_id
    group by orders.contact_id

)

select
    contact_id,
    orders_count,
    coupon_orders
from per_contact
where
    orders_count >= 2
    and coupon_orders * 2 >= orders_count
