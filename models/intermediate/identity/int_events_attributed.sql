{#-
    Every kept event with its contact: its own user_id, else the user_id its anonymous_id
    was stitched to, whenever the link happened (activity before the link included).
    contact_id stays null for devices never linked to a customer.
-#}

with

events as (

    select * from {{ ref('stg_events') }}

),

stitched as (

    select * from {{ ref('int_anonymous_ids_stitched') }}

),

attributed as (

    select
        events.message_id,
        events.event_name,
        coalesce(events.user_id, stitched.user_id) as contact_id,
        events.user_id,
        events.anonymous_id,
        events.user_id is null and stitched.user_id is not null as is_stitched,
        events.event_at,
        events.received_at,
        events.channel,
        events.properties,
        events.context,
        events.is_known_event
    from events
    left join stitched
        on events.anonymous_id = stitched.anonymous_id

)

select * from attributed
