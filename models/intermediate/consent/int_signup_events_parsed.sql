{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per attributed Signed Up, Subscribed or Unsubscribed of a known contact up to
    `as_of`, of any channel or method, its properties read: the sign-up method (blank text
    as null) and the channel, lower case (null when absent: email, the default, for the
    readers). The welcome series reads it (int_consent_events_parsed keeps only the events
    that change consent).
    Incremental on the events int_events_attributed changed (README, "Incremental processing").
-#}

with

attributed as (

    {{ nudge.attributed_events_changed(since, time_passed=true) }}

),

final as (

    select
        message_id,
        contact_id,
        event_name,
        event_at,
        {{ nudge.clean_text(nudge.json_text('properties', 'method')) }} as signup_method,
        lower({{ nudge.json_text('properties', 'channel') }}) as channel,
        {{ nudge.as_of() }} as processed_as_of
    from attributed
    where
        contact_id is not null
        and {{ nudge.text_in('event_name', ['Signed Up', 'Subscribed', 'Unsubscribed']) }}
        and event_at <= {{ nudge.as_of() }}

)

{{ nudge.replace_keys('final', 'message_id', 'attributed', since) }}
