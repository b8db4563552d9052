{#- One row per web/app session (int_site_events_sessionized): when, how long, what happened. -#}

with

events as (

    select * from {{ ref('int_site_events_sessionized') }}

),

aggregated as (

    select
        session_id,
        contact_id,
        session_number,
        min(event_at) as started_at,
        max(event_at) as ended_at,
        count(*) as events_count,
        sum(case when event_name = 'Page Viewed' then 1 else 0 end) as page_views,
        sum(case when event_name = 'Product Viewed' then 1 else 0 end) as product_views,
        sum(case when event_name = 'Product Added' then 1 else 0 end) as products_added,
        sum(case when event_name = 'Order Completed' then 1 else 0 end) as orders_completed,
        max(case when channel = 'app' then 1 else 0 end) as has_app_activity
    from events
    group by session_id, contact_id, session_number

)

select
    session_id,
    contact_id,
    session_number,
    started_at,
    ended_at,
    cast(events_count as {{ dbt.type_int() }}) as events_count,
    cast(page_views as {{ dbt.type_int() }}) as page_views,
    cast(product_views as {{ dbt.type_int() }}) as product_views,
    cast(products_added as {{ dbt.type_int() }}) as products_added,
    cast(orders_completed as {{ dbt.type_int() }}) as orders_completed,
    case when has_app_activity = 1 then 'app' else 'web' end as channel
from aggregated
