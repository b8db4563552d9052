{#-
    Welcome series: one per contact, anchored at the contact's first Signed Up or
    (email) Subscribed event; cancelled by an email unsubscribe after it. series_id is the
    constant 'welcome' so a late-landing earlier sign-up moves the anchor, never the send
    keys.
-#}

with

events as (

    select * from {{ ref('int_signup_events_parsed') }}

),

sign_ups as (

    select
        contact_id,
        event_name,
        event_at,
        signup_method,
        row_number() over (
            partition by contact_id
            order by event_at, message_id
        ) as signup_rank
    from events
    where
        event_name = 'Signed Up'
        or (
            event_name = 'Subscribed'
            and coalesce(channel, 'email') = 'email'
        )

),

anchors as (

    select
        contact_id,
        event_at as anchor_at,
        coalesce(signup_method, lower(event_name)) as signup_method
    from sign_ups
    where signup_rank = 1

),

unsubscribes as (

    select
        anchors.contact_id,
        min(events.event_at) as unsubscribed_at
    from anchors
    inner join events
        on
            anchors.contact_id = events.contact_id
            and anchors.anchor_at <= events.event_at
    where
        events.event_name = 'Unsubscribed'
        and coalesce(events.channel, 'email') = 'email'
    group by anchors.contact_id

),

profiles as (

    select * from {{ ref('contact_profiles') }}

),

series as (

    select
        anchors.contact_id,
        anchors.anchor_at,
        unsubscribes.unsubscribed_at,
        anchors.signup_method,
        profiles.first_name
    from anchors
    left join unsubscribes
        on anchors.contact_id = unsubscribes.contact_id
    left join profiles
        on anchors.contact_id = profiles.contact_id

)

select
    contact_id,
    'welcome' as trigger_key,
    'welcome' as series_id,
    anchor_at,
    unsubscribed_at as cancelled_at,
    case when unsubscribed_at is not null then 'unsubscribed' end as cancel_reason,
    cast(null as {{ dbt.type_string() }}) as reentry_key,
    {{ nudge.json_object_text([
        ('first_name', 'first_name', 'string'),
        ('signup_method', 'signup_method', 'string'),
        ('signed_up_at', nudge.timestamp_key('anchor_at'), 'string'),
    ]) }} as payload
from series
