{#-
    Email performance per audience as of `as_of`: one row per segment (contacts currently
    in segment_memberships; a contact counts in each of its segments) and per lifecycle
    stage (contact_profiles). Every send confirmed sent to the audience's contacts, with
    its engagement and attributed orders (as in flow_performance). Membership is the
    current one, not the one at send time.
-#}

{%- set dbl = nudge.type_double() %}

with

sends as (

    select * from {{ ref('int_sends_engagement_summarized') }}

),

orders as (

    select
        send_key,
        count(*) as conversions,
        sum(net_total) as revenue
    from {{ ref('int_orders_attributed') }}
    group by send_key

),

audiences as (

    select
        'segment' as dimension,
        segment_key as audience,
        contact_id
    from {{ ref('segment_memberships') }}
    union all
    select
        'lifecycle_stage' as dimension,
        lifecycle_stage as audience,
        contact_id
    from {{ ref('contact_profiles') }}
    where lifecycle_stage is not null

),

aggregated as (

    select
        audiences.dimension,
        audiences.audience,
        count(distinct sends.contact_id) as contacts_sent,
        count(*) as sends,
        sum(case when sends.is_delivered then 1 else 0 end) as delivered,
        sum(case when sends.opened_at is not null then 1 else 0 end) as opens,
        sum(case when sends.clicked_at is not null then 1 else 0 end) as clicks,
        sum(coalesce(orders.conversions, 0)) as conversions,
        sum(coalesce(orders.revenue, 0)) as revenue
    from audiences
    inner join sends
        on audiences.contact_id = sends.contact_id
    left join orders
        on sends.send_key = orders.send_key
    group by audiences.dimension, audiences.audience

)

select
    dimension || '|' || audience as audience_key,
    dimension,
    audience,
    cast(contacts_sent as {{ dbt.type_int() }}) as contacts_sent,
    cast(sends as {{ dbt.type_int() }}) as sends,
    cast(delivered as {{ dbt.type_int() }}) as delivered,
    cast(opens as {{ dbt.type_int() }}) as opens,
    cast(clicks as {{ dbt.type_int() }}) as clicks,
    cast(conversions as {{ dbt.type_int() }}) as conversions,
    cast(revenue as decimal(18, 2)) as revenue,
    cast(cast(opens as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as open_rate,
    cast(cast(clicks as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as click_through_rate,
    cast(cast(conversions as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as conversion_rate,
    cast(cast(revenue as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 2)) as revenue_per_email,
    {{ nudge.as_of() }} as as_of
from aggregated
