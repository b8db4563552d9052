{#-
    Email marketing consent per contact (docs/contracts/raw_events.md): Subscribed and
    Signed Up with method 'newsletter' grant it; Unsubscribed, Email Marked as Spam and a
    hard Email Bounced end it. The latest event wins, except that a spam complaint or hard
    bounce stays until a later explicit Subscribed. Contacts without any consent event have
    no row here (no consent).
-#}

with

events as (

    select * from {{ ref('int_events_attributed') }}
    where
        contact_id is not null
        and event_name in (
            'Subscribed', 'Signed Up', 'Unsubscribed', 'Email Marked as Spam', 'Email Bounced'
        )

),

consent_events as (

    select
        contact_id,
        message_id,
        event_name,
        event_at,
        received_at,
        case
            when
                event_name = 'Subscribed'
                and coalesce(lower({{ nudge.json_text('properties', 'channel') }}), 'email') = 'email'
                then 'subscribed'
            when
                event_name = 'Signed Up'
                and lower({{ nudge.json_text('properties', 'method') }}) = 'newsletter'
                then 'subscribed'
            when
                event_name = 'Unsubscribed'
                and coalesce(lower({{ nudge.json_text('properties', 'channel') }}), 'email') = 'email'
                then 'unsubscribed'
            when event_name = 'Email Marked as Spam' then 'spam_complaint'
            when
                event_name = 'Email Bounced'
                and lower({{ nudge.json_text('properties', 'bounce_type') }}) = 'hard'
                then 'hard_bounce'
        end as consent_status
    from events

),

sequenced as (

    select
        *,
        row_number() over (
            partition by contact_id
            order by event_at, received_at, message_id
        ) as seq
    from consent_events
    where consent_status is not null

),

per_contact as (

    select
        contact_id,
        max(seq) as latest_seq,
        max(case when consent_status in ('spam_complaint', 'hard_bounce') then seq end) as sticky_seq,
        max(case when event_name = 'Subscribed' and consent_status = 'subscribed' then seq end)
            as explicit_subscribed_seq,
        min(case when consent_status = 'subscribed' then event_at end) as first_consented_at
    from sequenced
    group by contact_id

),

deciding as (

    select
        contact_id,
        first_consented_at,
        case
            when sticky_seq is not null and coalesce(explicit_subscribed_seq, 0) < sticky_seq
                then sticky_seq
            else latest_seq
        end as deciding_seq
    from per_contact

)

select
    deciding.contact_id,
    sequenced.consent_status,
    sequenced.consent_status = 'subscribed' as has_consent,
    sequenced.event_name as consent_event_name,
    sequenced.message_id as consent_message_id,
    sequenced.event_at as consent_changed_at,
    deciding.first_consented_at
from deciding
inner join sequenced
    on
        deciding.contact_id = sequenced.contact_id
        and deciding.deciding_seq = sequenced.seq
