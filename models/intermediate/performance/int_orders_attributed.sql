{#-
    One row per order attributed to a triggered send: the latest send (by sent_at) of the
    contact that was opened or clicked within `attribution_window_days` (default 5) before
    the order. Orders with no such send are not here. minutes_to_conversion runs from the
    send to the order.
-#}

with

orders as (

    select
        order_id,
        contact_id,
        ordered_at,
        net_total
    from {{ ref('int_orders_netted') }}
    where contact_id is not null

),

engaged_sends as (

    select * from {{ ref('int_sends_engagement_summarized') }}
    where engaged_at is not null

),

candidates as (

    select
        orders.order_id,
        orders.contact_id,
        orders.ordered_at,
        orders.net_total,
        engaged_sends.send_key,
        engaged_sends.trigger_key,
        engaged_sends.step,
        engaged_sends.variant,
        engaged_sends.sent_at,
        engaged_sends.engaged_at,
        row_number() over (
            partition by orders.order_id
            order by engaged_sends.sent_at desc, engaged_sends.send_key desc
        ) as recency_rank
    from orders
    inner join engaged_sends
        on
            orders.contact_id = engaged_sends.contact_id
            and orders.ordered_at >= engaged_sends.engaged_at
            and {{ dbt.dateadd('day', -1 * (var('attribution_window_days', 5) | int), 'orders.ordered_at') }}
            <= engaged_sends.engaged_at

)

select
    order_id,
    contact_id,
    ordered_at,
    net_total,
    send_key,
    trigger_key,
    step,
    variant,
    sent_at,
    engaged_at,
    cast(
        floor({{ nudge.seconds_between("sent_at", "ordered_at") }} / 60.0) as {{ dbt.type_int() }}
    ) as minutes_to_conversion
from candidates
where recency_rank = 1
