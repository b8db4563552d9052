{#-
    Email marketing consent per contact (nudge.consent_states over the contact's consent
    events): the latest event wins, except that a spam complaint or hard bounce stays until
    a later explicit Subscribed. Contacts without any consent event have no row here (no
    consent).
-#}

with

consent_events as (

    select * from {{ ref('int_consent_events_parsed') }}

),

states as (

    {{ nudge.consent_states('consent_events', 'contact_id') }}

)

select * from states
