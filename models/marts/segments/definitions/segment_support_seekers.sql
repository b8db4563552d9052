{#-
    support_seekers: within var segment_support_days (7) before as_of, var
    segment_support_min_page_views (3) or more contact/FAQ page views (page_type, else the
    path), or a Ticket Created.
-#}

with

events as (

    select * from {{ ref('int_events_attributed') }}
    where
        contact_id is not null
        and {{ nudge.text_in('event_name', ['Page Viewed', 'Ticket Created']) }}
        and event_at > {{ dbt.dateadd('day', -1 * var('segment_support_days'), nudge.as_of()) }}
        and event_at <= {{ nudge.as_of() }}

),

classified as (

    select
        contact_id,
        case when event_name = 'Ticket Created' then 1 else 0 end as is_ticket,
        case
            when event_name <> 'Page Viewed' then 0
            when lower({{ nudge.clean_text(nudge.json_text('properties', 'page_type')) }}) in ('contact', 'faq') then 1
            when lower({{ nudge.clean_text(nudge.json_text('properties', 'path')) }}) in ('/contact', '/faq') then 1
            else 0
        end as is_support_page_view
    from events

),

per_contact as (

    select
        contact_id,
        sum(is_support_page_view) as support_page_views,
        sum(is_ticket) as tickets
    from classified
    group by contact_id

)

select
    contact_id,
    support_page_views,
    tickets
from per_contact
where
    support_page_views >= {{ var('segment_support_min_page_views') }}
    or tickets > 0
