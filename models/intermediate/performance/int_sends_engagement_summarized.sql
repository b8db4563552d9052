{#-
    One row per triggered send confirmed sent (triggered_sends status 'sent'), with what its
    email did, from the ESP feedback events carrying its send_key (the engagement pull lands
    them in raw.events): first delivery, open, click, bounce, unsubscribe and spam complaint.
    An open or a click implies delivery. engaged_at = the first open or click (attribution
    reads it).
-#}

with

sends as (

    select
        send_key,
        contact_id,
        trigger_key,
        step,
        variant,
        series_id,
        due_at,
        sent_at
    from {{ ref('triggered_sends') }}
    where status = 'sent'

),

-- the five ESP feedback events as int_email_events_parsed already read them (their send_key
-- parsed once, incrementally), not every event's properties again; unsubscribes are not
-- among them
feedback as (

    select
        send_key,
        event_name,
        event_at
    from {{ ref('int_email_events_parsed') }}
    union all
    select
        {{ nudge.clean_text(nudge.json_text('properties', 'send_key')) }} as send_key,
        event_name,
        event_at
    from {{ ref('int_events_attributed') }}
    where event_name = 'Unsubscribed'

),

per_send as (

    select
        send_key,
        min(case when event_name = 'Email Delivered' then event_at end) as delivered_at,
        min(case when event_name = 'Email Opened' then event_at end) as opened_at,
        min(case when event_name = 'Email Link Clicked' then event_at end) as clicked_at,
        min(case when event_name = 'Email Bounced' then event_at end) as bounced_at,
        min(case when event_name = 'Unsubscribed' then event_at end) as unsubscribed_at,
        min(case when event_name = 'Email Marked as Spam' then event_at end) as complained_at
    from feedback
    where send_key is not null
    group by send_key

)

select
    sends.send_key,
    sends.contact_id,
    sends.trigger_key,
    sends.step,
    sends.variant,
    sends.series_id,
    sends.due_at,
    sends.sent_at,
    per_send.delivered_at,
    per_send.opened_at,
    per_send.clicked_at,
    per_send.bounced_at,
    per_send.unsubscribed_at,
    per_send.complained_at,
    (
        per_send.delivered_at is not null
        or per_send.opened_at is not null
        or per_send.clicked_at is not null
    ) as is_delivered,
    case
        when per_send.clicked_at is null then per_send.opened_at
        when per_send.opened_at is null then per_send.clicked_at
        when per_send.clicked_at < per_send.opened_at then per_send.clicked_at
        else per_send.opened_at
    end as engaged_at
from sends
left join per_send
    on sends.send_key = per_send.send_key
