{#-
    Email marketing consent per email address (email_key of int_contact_addresses_resolved):
    the rule of int_consent_states_derived (nudge.consent_states) over the consent events of
    every contact sharing the address, so an unsubscribe from a guest checkout's contact
    ends consent for the account with the same address too. A contact may be emailed only
    when its own consent and its address's allow it (contact_profiles).
-#}

with

addresses as (

    select * from {{ ref('int_contact_addresses_resolved') }}

),

consent_events as (

    select
        addresses.email_key,
        events.message_id,
        events.event_name,
        events.event_at,
        events.received_at,
        events.consent_status
    from {{ ref('int_consent_events_parsed') }} as events
    inner join addresses
        on events.contact_id = addresses.contact_id

),

states as (

    {{ nudge.consent_states('consent_events', 'email_key') }}

)

select * from states
