{#-
    What rows landed after `since` can have changed, for the incremental models downstream of
    staging (macros/cross_db/incremental.sql). Each is a query with one column; since = none
    means everything. Models calling these name their inputs with `-- depends_on:` lines
    (dbt sees refs only in the SQL it renders while parsing, a full build).
-#}

{#-
    Devices with a link that landed since: an identify, or an event carrying both ids (any
    outcome, so a copy that replaced the kept one counts too). `owner_changes_only`: only
    those whose owner may have changed, i.e. this is their first link or they have been
    linked to more than one user (a device whose every link names the same user kept it).
    Only the devices with a link landed since are grouped (a device has one exactly when its
    newest link landed since), not every device of the history.
-#}
{% macro linked_anonymous_ids(since, owner_changes_only=false) -%}
    {%- set links -%}
        select anonymous_id, user_id, received_at from {{ ref('stg_identifies__checked') }}
        where anonymous_id is not null and user_id is not null
        union all
        select anonymous_id, user_id, received_at from {{ ref('stg_events__checked') }}
        where anonymous_id is not null and user_id is not null
    {%- endset %}
    select anonymous_id
    from ({{ links }}) as links
    {%- if since is not none %}
        where anonymous_id in (
            select recent.anonymous_id from ({{ links }}) as recent
            where {{ nudge.changed_since('recent.received_at', since) }}
        )
    {%- endif %}
    group by anonymous_id
    {%- if owner_changes_only and since is not none %}
        having
            {{ nudge.changed_since('min(received_at)', since) }}
            or count(distinct user_id) > 1
    {%- endif %}
{%- endmacro %}


{#- Devices whose owner (int_anonymous_ids_stitched.user_id) may have changed. -#}
{% macro touched_anonymous_ids(since) -%}
    {{ nudge.linked_anonymous_ids(since, owner_changes_only=true) }}
{%- endmacro %}


{#- Kept events that landed, or whose device's stitching may have changed. -#}
{% macro touched_message_ids(since) -%}
    select message_id from {{ ref('stg_events') }}
    where
        {{ nudge.changed_since('received_at', since) }}
        or anonymous_id in ({{ nudge.touched_anonymous_ids(since) }})
{%- endmacro %}


{#-
    Contacts whose attributed events may have changed: owners of events and identifies that
    landed (their user_id, else their device's current owner), every user ever linked to a
    device whose stitching may have changed (its old and its new owner), and contacts with
    events whose time has come since (an event may be stamped ahead of its landing).
-#}
{% macro touched_contact_ids(since) -%}
    select coalesce(events.user_id, stitched.user_id) as contact_id
    from {{ ref('stg_events__checked') }} as events
    left join {{ ref('int_anonymous_ids_stitched') }} as stitched
        on events.anonymous_id = stitched.anonymous_id
    where {{ nudge.changed_since('events.received_at', since) }}
    union
    select user_id as contact_id from {{ ref('stg_identifies__checked') }}
    where
        {{ nudge.changed_since('received_at', since) }}
        or anonymous_id in ({{ nudge.touched_anonymous_ids(since) }})
    union
    select user_id as contact_id from {{ ref('stg_events__checked') }}
    where anonymous_id in ({{ nudge.touched_anonymous_ids(since) }})
    union
    select contact_id from {{ ref('int_events_attributed') }}
    where {{ nudge.changed_since('event_at', since) }}
{%- endmacro %}


{#-
    Events whose row in a model filtering int_events_attributed on event_at <= as_of may have
    changed: touched_message_ids, and events whose time has come since (stamped ahead of
    their landing).
-#}
{% macro touched_event_message_ids(since) -%}
    {{ nudge.touched_message_ids(since) }}
    union
    select message_id from {{ ref('int_events_attributed') }}
    where {{ nudge.changed_since('event_at', since) }}
{%- endmacro %}
