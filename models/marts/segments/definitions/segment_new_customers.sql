{#- new_customers: first order within var segment_new_customer_days (30) before as_of. -#}

with

profiles as (

    select * from {{ ref('contact_profiles') }}

)

select
    contact_id,
    first_order_at
from profiles
where
    first_order_at > {{ dbt.dateadd('day', -1 * var('segment_new_customer_days'), nudge.as_of()) }}
    and first_order_at <= {{ nudge.as_of() }}
