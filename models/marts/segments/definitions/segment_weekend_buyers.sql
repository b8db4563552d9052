{#-
    weekend_buyers: 2+ orders up to as_of, at least var segment_weekend_buyer_min_pct (70)
    percent of them on a Saturday or Sunday in the contact's local time (resolved timezone,
    UTC when unknown).
-#}

with

orders as (

    select * from {{ ref('int_orders_netted') }}
    where
        contact_id is not null
        and ordered_at <= {{ nudge.as_of() }}

),

timezones as (

    select * from {{ ref('int_contact_timezones_resolved') }}

),

localized as (

    select
        orders.contact_id,
        {{ nudge.iso_day_of_week(nudge.utc_to_local('orders.ordered_at', "coalesce(timezones.timezone, 'UTC')")) }} as local_day_of_week
    from orders
    left join timezones
        on orders.contact_id = timezones.contact_id

),

per_contact as (

    select
        contact_id,
        count(*) as orders_count,
        sum(case when local_day_of_week in (6, 7) then 1 else 0 end) as weekend_orders
    from localized
    group by contact_id

)

select
    contact_id,
    orders_count,
    weekend_orders
from per_contact
where
    orders_count >= 2
    and weekend_orders * 100 >= {{ var('segment_weekend_buyer_min_pct') }} * orders_count
