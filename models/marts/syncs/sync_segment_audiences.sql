{#-
    Segment audiences, exactly as they leave for the ESP: one row per (segment, member)
    for the members who may be emailed — the subscribers of sync_klaviyo_subscribers
    (valid email, consent, not suppressed, the primary contact of their address). A sync
    declared with `segments:` keeps one ESP list per segment equal to its rows here.
-#}

with

memberships as (

    select
        segment_key,
        contact_id
    from {{ ref('segment_memberships') }}

),

subscribers as (

    select
        contact_id,
        email
    from {{ ref('sync_klaviyo_subscribers') }}

)

select
    memberships.segment_key,
    subscribers.contact_id,
    subscribers.email
from memberships
inner join subscribers
    on memberships.contact_id = subscribers.contact_id
