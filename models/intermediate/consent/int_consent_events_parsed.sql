{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per event of a known contact that grants or ends email marketing consent
    (docs/contracts/raw_events.md): Subscribed (email channel, the default) and Signed Up
    with method 'newsletter' grant it ('subscribed'); Unsubscribed (email channel), Email
    Marked as Spam and a hard Email Bounced end it ('unsubscribed', 'spam_complaint',
    'hard_bounce'). Other channels, other sign-ups and soft bounces are not consent events.
    The consent state is decided from these by nudge.consent_states, per contact and per
    email address.
    Incremental on the events int_events_attributed changed (README, "Incremental processing").
-#}

with

attributed as (

    {{ nudge.attributed_events_changed(since) }}

),

events as (

    select * from attributed
    where
        contact_id is not null
        and {{ nudge.text_in('event_name', [
            'Subscribed', 'Signed Up', 'Unsubscribed', 'Email Marked as Spam', 'Email Bounced',
        ]) }}

),

parsed as (

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
        end as consent_status,
        {{ nudge.as_of() }} as processed_as_of
    from events

),

final as (

    select * from parsed
    where consent_status is not null

)

{{ nudge.replace_keys('final', 'message_id', 'attributed', since) }}
