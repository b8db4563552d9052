{#-
    Each person's current choice per email topic: one row per (email_key, topic) that any
    contact sharing the address has set, decided by the latest event (event_at, then
    received_at and message_id for ties). No row = never chosen = the topic's emails may
    go out (consent itself is contact_profiles').
-#}

with

choices as (

    select
        email_key,
        topic,
        topic_subscribed,
        event_at,
        message_id,
        row_number() over (
            partition by email_key, topic
            order by event_at desc, received_at desc, message_id desc
        ) as recency
    from {{ ref('int_preference_events_parsed') }}
    where
        topic is not null
        and topic_subscribed is not null

)

select
    email_key,
    topic,
    topic_subscribed as is_subscribed,
    event_at as changed_at,
    message_id as preference_message_id
from choices
where recency = 1
