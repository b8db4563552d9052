{#-
    support_followup: a Ticket Created (one series per ticket), or the moment a contact's
    support page views reach var trigger_support_min_page_views (3) within var
    trigger_support_days (7): the view that brings its rolling window to 3 from below
    starts a series (later views while the window stays at 3 or more do not). Support pages: page_type in var
    trigger_support_page_types (['contact'], per the trigger table; add 'faq' to count FAQ
    reads too), else the path '/<type>'. Re-entry once per 14 days (catalog), reentry_key ''.
-#}

{%- set page_types = var('trigger_support_page_types') %}

with

ticket_events as (

    select
        contact_id,
        created_at as event_at,
        ticket_id,
        ticket_topic
    from {{ ref('int_ticket_events_parsed') }}

),

tickets as (

    {#- a ticket re-sent under another message_id is still one ticket -#}
    select
        contact_id,
        {{ dbt.concat(["'ticket:'", 'ticket_id']) }} as series_id,
        min(event_at) as anchor_at,
        'ticket' as followup_reason,
        ticket_id,
        min(ticket_topic) as ticket_topic,
        cast(null as {{ dbt.type_int() }}) as page_views
    from ticket_events
    where ticket_id is not null
    group by contact_id, ticket_id

),

support_page_views as (

    select
        message_id,
        contact_id,
        viewed_at as event_at
    from {{ ref('int_page_views_parsed') }}
    where
        contact_id is not null
        and (
            page_type in (
                {%- for page_type in page_types %}'{{ page_type }}'{% if not loop.last %}, {% endif %}{% endfor -%}
            )
            or lower(page_path) in (
                {%- for page_type in page_types %}'/{{ page_type }}'{% if not loop.last %}, {% endif %}{% endfor -%}
            )
        )

),

windowed as (

    {#- each view's position among the contact's support views of the window ending at it -#}
    select
        current_view.message_id,
        current_view.contact_id,
        current_view.event_at,
        count(*) as views_in_window
    from support_page_views as current_view
    inner join support_page_views as earlier_view
        on
            current_view.contact_id = earlier_view.contact_id
            and {{ dbt.dateadd('day', -1 * var('trigger_support_days'), 'current_view.event_at') }} < earlier_view.event_at
            and (
                current_view.event_at > earlier_view.event_at
                or (current_view.event_at = earlier_view.event_at and current_view.message_id >= earlier_view.message_id)
            )
    group by current_view.message_id, current_view.contact_id, current_view.event_at

),

crossings as (

    {#- a streak starts at the view that brings the window to the threshold from below -#}
    select
        *,
        lag(views_in_window) over (
            partition by contact_id
            order by event_at, message_id
        ) as previous_views_in_window
    from windowed

),

page_streaks as (

    select
        contact_id,
        {{ dbt.concat(["'contact_pages:'", 'message_id']) }} as series_id,
        event_at as anchor_at,
        'contact_pages' as followup_reason,
        cast(null as {{ dbt.type_string() }}) as ticket_id,
        cast(null as {{ dbt.type_string() }}) as ticket_topic,
        cast(views_in_window as {{ dbt.type_int() }}) as page_views
    from crossings
    where
        views_in_window >= {{ var('trigger_support_min_page_views') }}
        and coalesce(previous_views_in_window, 0) < {{ var('trigger_support_min_page_views') }}

),

series as (

    select * from tickets
    union all
    select * from page_streaks

)

select
    contact_id,
    'support_followup' as trigger_key,
    series_id,
    anchor_at,
    cast(null as {{ dbt.type_timestamp() }}) as cancelled_at,
    cast(null as {{ dbt.type_string() }}) as cancel_reason,
    '' as reentry_key,
    case
        when followup_reason = 'ticket' then {{ nudge.json_object_text([
            ('reason', 'followup_reason', 'string'),
            ('ticket_id', 'ticket_id', 'string'),
            ('ticket_topic', 'ticket_topic', 'string'),
        ]) }}
        else {{ nudge.json_object_text([
            ('reason', 'followup_reason', 'string'),
            ('page_views', 'page_views', 'number'),
        ]) }}
    end as payload
from series
