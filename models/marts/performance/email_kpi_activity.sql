{#-
    What the weekly KPIs count, one row per email sent and per (contact, UTC day) with a
    consent event, dated by its UTC day (activity_date) as of `as_of`. An email brings its own
    engagement and the orders attributed to it (int_orders_attributed), so the rates of a
    day or a period are those of the emails sent in it (a cohort by send day, as in
    flow_performance): an open on Tuesday of Monday's email counts on Monday. A consent row
    says whether the contact subscribed that day (Subscribed, newsletter Signed Up) and
    whether it left the list (unsubscribed, spam complaint, hard bounce:
    int_consent_events_parsed).
-#}

with

sends as (

    select * from {{ ref('int_sends_engagement_summarized') }}

),

orders as (

    select
        send_key,
        count(*) as attributed_orders,
        sum(net_total) as attributed_revenue
    from {{ ref('int_orders_attributed') }}
    group by send_key

),

consent as (

    select
        contact_id,
        cast(event_at as date) as activity_date,
        max(case when consent_status = 'subscribed' then 1 else 0 end) as subscribed,
        max(case when consent_status <> 'subscribed' then 1 else 0 end) as left_list
    from {{ ref('int_consent_events_parsed') }}
    where event_at <= {{ nudge.as_of() }}
    group by contact_id, cast(event_at as date)

)

select
    cast(sends.sent_at as date) as activity_date,
    sends.contact_id,
    1 as sends,
    case when sends.is_delivered then 1 else 0 end as delivered,
    case when sends.opened_at is not null then 1 else 0 end as opens,
    case when sends.clicked_at is not null then 1 else 0 end as clicks,
    case when sends.unsubscribed_at is not null then 1 else 0 end as unsubscribes,
    coalesce(orders.attributed_orders, 0) as attributed_orders,
    cast(coalesce(orders.attributed_revenue, 0) as decimal(18, 2)) as attributed_revenue,
    0 as subscribed,
    0 as left_list
from sends
left join orders
    on sends.send_key = orders.send_key
union all
select
    activity_date,
    contact_id,
    0 as sends,
    0 as delivered,
    0 as opens,
    0 as clicks,
    0 as unsubscribes,
    0 as attributed_orders,
    cast(0 as decimal(18, 2)) as attributed_revenue,
    subscribed,
    left_list
from consent
