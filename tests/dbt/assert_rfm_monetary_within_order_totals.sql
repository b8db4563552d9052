-- Monetary is net of refunds: never negative, never above the gross total of the
-- contact's orders in the lookback.
with

orders as (

    select * from {{ ref('int_orders_netted') }}
    where
        contact_id is not null
        and ordered_at > {{ dbt.dateadd('day', -1 * var('rfm_lookback_days'), nudge.as_of()) }}
        and ordered_at <= {{ nudge.as_of() }}

),

gross as (

    select
        contact_id,
        sum(order_total) as gross_total
    from orders
    group by contact_id

)

select
    rfm.contact_id,
    rfm.monetary,
    gross.gross_total
from {{ ref('contact_rfm') }} as rfm
left join gross
    on rfm.contact_id = gross.contact_id
where
    rfm.monetary < 0
    or gross.gross_total is null
    or rfm.monetary > gross.gross_total
