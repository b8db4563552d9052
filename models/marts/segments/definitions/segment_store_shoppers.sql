{#- store_shoppers: an in-store order (channel 'store') within var segment_store_shopper_days (365) before as_of. -#}

with

store_orders as (

    select * from {{ ref('int_orders_netted') }}
    where
        contact_id is not null
        and channel = 'store'
        and ordered_at > {{ dbt.dateadd('day', -1 * var('segment_store_shopper_days'), nudge.as_of()) }}
        and ordered_at <= {{ nudge.as_of() }}

)

select
    contact_id,
    max(ordered_at) as last_store_order_at
from store_orders
group by contact_id
