{#-
    One row per attributed Content Downloaded up to `as_of`, its properties read
    (content_id, title, topic).
-#}

select
    message_id,
    contact_id,
    event_at as downloaded_at,
    {{ nudge.clean_text(nudge.json_text('properties', 'content_id')) }} as content_id,
    {{ nudge.clean_text(nudge.json_text('properties', 'title')) }} as title,
    lower({{ nudge.clean_text(nudge.json_text('properties', 'topic')) }}) as topic
from {{ ref('int_events_attributed') }}
where
    event_name = 'Content Downloaded'
    and contact_id is not null
    and event_at <= {{ nudge.as_of() }}
    and {{ nudge.clean_text(nudge.json_text('properties', 'content_id')) }} is not null
