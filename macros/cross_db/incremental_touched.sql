{#-
    What rows landed after `since` can have changed, for the incremental models downstream of
    staging (macros/cross_db/incremental.sql): queries of keys, or of the rows to re-process;
    since = none means everything. Models calling these name their inputs with `-- depends_on:`
    lines (dbt sees refs only in the SQL it renders while parsing, a full build).
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
    {%- set links = nudge.device_links() %}
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


{#- Every link of a device to a user: an identify, or an event carrying both ids. -#}
{% macro device_links() -%}
    select anonymous_id, user_id, received_at from {{ ref('stg_identifies__checked') }}
    where anonymous_id is not null and user_id is not null
    union all
    select anonymous_id, user_id, received_at from {{ ref('stg_events__checked') }}
    where anonymous_id is not null and user_id is not null
{%- endmacro %}


{#- Devices whose owner (int_anonymous_ids_stitched.user_id) may have changed. -#}
{% macro touched_anonymous_ids(since) -%}
    {{ nudge.linked_anonymous_ids(since, owner_changes_only=true) }}
{%- endmacro %}


{#-
    The kept events that landed since, or whose device's stitching may have changed: the rows
    int_events_attributed re-processes. Two reads, never one pass over every event's columns
    (an `or` of the two conditions, or a join on the touched message_ids, reads the whole
    history): the rows landed since, which the landing time's zone maps find at the table's
    end, and the older events of the touched devices.
-#}
{% macro touched_events(since) -%}
    select * from {{ ref('stg_events') }}
    where {{ nudge.changed_since('received_at', since) }}
    {%- if since is not none %}
        union all
        select * from {{ ref('stg_events') }}
        where
            received_at <= {{ nudge.timestamp_literal(since) }}
            and anonymous_id in ({{ nudge.touched_anonymous_ids(since) }})
    {%- endif %}
{%- endmacro %}


{#-
    For the models reading int_events_attributed row by row: its rows that may have changed
    since this model's last run (its watermark W), i.e. those it wrote after W (each of its
    runs rewrites every event anything landed could change, and deletes none: touched_events),
    and, with `time_passed`, those whose time has come since W (an event may be stamped ahead
    of its landing). W, not `since`: `since` may lie before W (a second before the earliest
    landing among those rows), and every row of a full build carries that build's as_of. At
    a rerun as of W, the rows written at W (nudge.written_after).
    Everything when `since` is none.
-#}
{% macro attributed_events_changed(since, time_passed=false) -%}
    {%- set events = ref('int_events_attributed') -%}
    select * from {{ events }}
    {%- if since is not none %}
        {%- set watermark = nudge.watermark() %}
        where {{ nudge.written_after(watermark) }}
        {#- at a rerun as of W no event's time has come since W -#}
        {%- if time_passed and watermark < nudge.as_of_instant() %}
            union all
            select * from {{ events }}
            where
                processed_as_of <= {{ nudge.timestamp_literal(watermark) }}
                and event_at > {{ nudge.timestamp_literal(watermark) }}
        {%- endif %}
    {%- endif %}
{%- endmacro %}


{#-
    Contacts whose attributed events may have changed since: the owners of the events
    int_events_attributed wrote since or whose time has come, and the owners `previous` (a
    model keyed by contact_id with a message_id column: the calling model itself) held those
    events under before (a device re-stitched to another contact moves its events away).
-#}
{% macro touched_contact_ids(since, previous) -%}
    {%- set changed = nudge.attributed_events_changed(since, time_passed=true) %}
    select contact_id from ({{ changed }}) as changed
    {%- if since is not none %}
    union
    select contact_id from {{ previous }}
    where message_id in (select message_id from ({{ changed }}) as moved)
    {%- endif %}
{%- endmacro %}


{#-
    Contacts whose inputs may have changed since, for a model keyed by contact_id that keeps
    no message_id to find the events' previous owners by (touched_contact_ids): the owners of
    the events int_events_attributed wrote since or whose time has come; every user ever
    linked to a device re-stitched since (int_anonymous_ids_stitched rewrote it and it has
    more than one link: its events may have moved from one of those users); and every contact
    with an event of an order whose events were parsed since (an order is its first Order
    Completed's contact's, so a late copy from another contact moves it).
-#}
{% macro contacts_with_changed_events(since) -%}
    select changed.contact_id
    from ({{ nudge.attributed_events_changed(since, time_passed=true) }}) as changed
    {%- if since is not none %}
        {%- set watermark = nudge.watermark() %}
        {%- set restitched -%}
            select anonymous_id from {{ ref('int_anonymous_ids_stitched') }}
            where {{ nudge.written_after(watermark) }} and link_count > 1
        {%- endset %}
        {%- set restitched_devices = nudge.keys_found('anonymous_id', restitched) %}
        {%- if restitched_devices is none or restitched_devices | length > 0 %}
            union
            select links.user_id as contact_id
            from ({{ nudge.device_links() }}) as links
            where {{ nudge.keys_in('anonymous_id', restitched_devices, restitched) }}
        {%- endif %}
        union
        select orders.contact_id
        from {{ ref('int_order_events_parsed') }} as orders
        where orders.order_id in (
            select changed_orders.order_id from {{ ref('int_order_events_parsed') }} as changed_orders
            where {{ nudge.written_after(watermark) }}
        )
    {%- endif %}
{%- endmacro %}


{#-
    The contacts whose events may have changed since this model's last run (its watermark W):
    those int_contact_changes_detected wrote after W (nudge.written_after). Everyone when
    `since` is none.
-#}
{% macro changed_contacts(since) -%}
    select contact_id from {{ ref('int_contact_changes_detected') }}
    {%- if since is not none %}
        where {{ nudge.written_after(nudge.watermark()) }}
    {%- endif %}
{%- endmacro %}
