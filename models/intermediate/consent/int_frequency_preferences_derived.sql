{#-
    Each person's chosen email frequency: one row per email_key any contact of which has
    chosen one, decided by the latest event (event_at, then received_at and message_id),
    with the most marketing emails it allows in how many days (macros/checks/
    email_preferences.sql; null for 'all': the project's caps alone).
-#}

with

choices as (

    select
        email_key,
        email_frequency,
        event_at,
        message_id,
        row_number() over (
            partition by email_key
            order by event_at desc, received_at desc, message_id desc
        ) as recency
    from {{ ref('int_preference_events_parsed') }}
    where email_frequency is not null

)

select
    email_key,
    email_frequency,
    {{ nudge.frequency_window_days('email_frequency') }} as frequency_window_days,
    event_at as changed_at,
    message_id as preference_message_id
from choices
where recency = 1
