{#-
    Each subscriber (as sync_klaviyo_subscribers) with `nudge_segments`: every segment it
    is in, as a JSON array of segment keys in key order ('[]' when none), so the ESP can
    filter on any segment, synced or not.
-#}

with

subscribers as (

    select
        contact_id,
        email
    from {{ ref('sync_klaviyo_subscribers') }}

),

memberships as (

    select
        segment_key,
        contact_id
    from {{ ref('segment_memberships') }}

),

segment_lists as (

    select
        contact_id,
        {{ nudge.json_array_agg_text(nudge.json_value_text('segment_key', 'string'), 'segment_key') }} as nudge_segments
    from memberships
    group by contact_id

)

select
    subscribers.contact_id,
    subscribers.email,
    coalesce(segment_lists.nudge_segments, '[]') as nudge_segments
from subscribers
left join segment_lists
    on subscribers.contact_id = segment_lists.contact_id
