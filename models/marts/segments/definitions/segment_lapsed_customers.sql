{#- lapsed_customers: last order var segment_lapsed_min_days (90) to segment_lapsed_max_days (365) days ago, bounds included. -#}

with

profiles as (

    select * from {{ ref('contact_profiles') }}

)

select
    contact_id,
    last_order_at,
    days_since_last_order
from profiles
where
    days_since_last_order >= {{ var('segment_lapsed_min_days') }}
    and days_since_last_order <= {{ var('segment_lapsed_max_days') }}
