{{ config(**nudge.incremental_config('contact_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')], rebuilt=[ref('int_site_events_sessionized')]) %}

{#-
    One row per web/app session (int_site_events_sessionized): when, how long, what happened.
    Incremental per contact: the sessions of the contacts whose events may have changed
    (nudge.changed_contacts), which include every contact the sessions model
    re-numbered.
-#}

-- depends_on: {{ ref('int_contact_changes_detected') }}

{%- set touched = nudge.touched_keys('contact_id', nudge.changed_contacts(since)) %}

with

{{ touched.cte }}

events as (

    select * from {{ ref('int_site_events_sessionized') }}
    where {{ touched.filter }}

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

),

final as (

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
        case when has_app_activity = 1 then 'app' else 'web' end as channel,
        {{ nudge.as_of() }} as processed_as_of
    from aggregated

)

{{ nudge.replace_keys('final', 'contact_id', 'touched', since) }}
