{#-
    One row per Email Preferences Updated event of a known contact with an email address
    (docs/contracts/raw_events.md, "Email preferences"), keyed by the address: a choice
    holds for the person, so for every contact sharing the address. topic and
    topic_subscribed when the event sets a topic, email_frequency when it sets a frequency
    (events setting neither were quarantined in staging as invalid_preference).
-#}

with

events as (

    select * from {{ ref('int_events_attributed') }}
    where
        contact_id is not null
        and event_name = 'Email Preferences Updated'

),

addresses as (

    select * from {{ ref('int_contact_addresses_resolved') }}

),

read as (

    select
        addresses.email_key,
        events.contact_id,
        events.message_id,
        events.event_at,
        events.received_at,
        {{ nudge.preference_text('events.properties', 'topic') }} as topic,
        {{ nudge.preference_text('events.properties', 'subscribed') }} as subscribed_text,
        {{ nudge.preference_text('events.properties', 'frequency') }} as frequency_text
    from events
    inner join addresses
        on events.contact_id = addresses.contact_id

),

parsed as (

    select
        email_key,
        contact_id,
        message_id,
        event_at,
        received_at,
        topic,
        case subscribed_text
            when 'true' then true
            when 'false' then false
        end as topic_subscribed,
        case
            when frequency_text in ({{ nudge.email_frequency_names() }}) then frequency_text
        end as email_frequency
    from read

)

select * from parsed
