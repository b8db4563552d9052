{{ config(**nudge.incremental_config('message_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per ESP feedback event (Email Delivered / Opened / Link Clicked / Bounced /
    Marked as Spam) with its properties read: which email (email_id, else the event's own
    id), the send it answers (send_key, trigger_key, step, when the ESP echoes them).
    Incremental: the events int_events_attributed wrote since the last run.
-#}

with

attributed as (

    {{ nudge.attributed_events_changed(since) }}

),

feedback as (

    select * from attributed
    where
        {{ nudge.text_in('event_name', [
            'Email Delivered',
            'Email Opened',
            'Email Link Clicked',
            'Email Bounced',
            'Email Marked as Spam',
        ]) }}

),

parsed as (

    select
        message_id,
        contact_id,
        event_name,
        case event_name
            when 'Email Delivered' then 'delivered'
            when 'Email Opened' then 'opened'
            when 'Email Link Clicked' then 'clicked'
            when 'Email Bounced' then 'bounced'
            when 'Email Marked as Spam' then 'spam_complaint'
        end as email_event,
        event_at,
        received_at,
        {{ nudge.clean_text(nudge.json_text('properties', 'email_id')) }} as email_id,
        {{ nudge.clean_text(nudge.json_text('properties', 'send_key')) }} as send_key,
        {{ nudge.clean_text(nudge.json_text('properties', 'trigger_key')) }} as trigger_key,
        {{ nudge.json_number('properties', 'step') }} as step,
        {{ nudge.clean_text(nudge.json_text('properties', 'link_url')) }} as link_url,
        lower({{ nudge.clean_text(nudge.json_text('properties', 'bounce_type')) }}) as bounce_type
    from feedback

),

final as (

    select
        message_id,
        contact_id,
        event_name,
        email_event,
        event_at,
        received_at,
        email_id,
        coalesce(email_id, message_id) as email_key,
        send_key,
        trigger_key,
        cast(floor(step) as {{ dbt.type_int() }}) as step,
        link_url,
        bounce_type,
        {{ nudge.as_of() }} as processed_as_of
    from parsed

)

{{ nudge.replace_keys('final', 'message_id', 'attributed', since) }}
