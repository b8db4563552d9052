{#-
    high_value: lifetime revenue in the top var segment_high_value_top_pct (5) percent of
    customers (contacts with an order): fewer than that share of customers have a strictly
    higher revenue, so ties at the boundary are all in. Revenue must be positive.
-#}

with

customers as (

    select
        contact_id,
        lifetime_revenue,
        rank() over (order by lifetime_revenue desc) as revenue_rank,
        count(*) over () as customers_count
    from {{ ref('contact_profiles') }}
    where orders_count > 0

)

select
    contact_id,
    lifetime_revenue,
    revenue_rank
from customers
where
    lifetime_revenue > 0
    and (revenue_rank - 1) * 100 < {{ var('segment_high_value_top_pct') }} * customers_count
