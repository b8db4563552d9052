{#- repeat_customers: 2+ completed orders. -#}

with

profiles as (

    select * from {{ ref('contact_profiles') }}

)

select
    contact_id,
    orders_count
from profiles
where orders_count >= 2
