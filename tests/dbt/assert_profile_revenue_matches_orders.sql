-- A profile's order count and net revenue are exactly those of its attributed orders.
with

orders as (

    select
        contact_id,
        count(*) as orders_count,
        sum(net_total) as lifetime_revenue
    from {{ ref('int_orders_netted') }}
    where contact_id is not null
    group by contact_id

)

select
    profiles.contact_id,
    profiles.orders_count,
    orders.orders_count as expected_orders_count,
    profiles.lifetime_revenue,
    orders.lifetime_revenue as expected_lifetime_revenue
from {{ ref('contact_profiles') }} as profiles
left join orders
    on profiles.contact_id = orders.contact_id
where
    profiles.orders_count <> coalesce(orders.orders_count, 0)
    or profiles.lifetime_revenue <> coalesce(orders.lifetime_revenue, 0)
