{{ config(**nudge.incremental_config('contact_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')], rebuilt=[ref('int_contact_traits_coalesced')]) %}

{#-
    One row per contact (a user_id seen in identify calls or events): when it was first and
    last seen (its attributed events and identify calls) and when it signed up (its first
    Signed Up event, else the created_at trait).
    Incremental per contact: a run recomputes the contacts whose events may have changed
    (nudge.contacts_with_changed_events) and those whose traits int_contact_traits_coalesced
    wrote since the last run.
-#}

-- depends_on: {{ ref('stg_identifies__checked') }}
-- depends_on: {{ ref('stg_events__checked') }}
-- depends_on: {{ ref('int_order_events_parsed') }}
-- depends_on: {{ ref('int_anonymous_ids_stitched') }}

{%- set touched_contacts -%}
    {{ nudge.contacts_with_changed_events(since) }}
    union
    select user_id as contact_id from {{ ref('int_contact_traits_coalesced') }}
    {%- if since is not none %}
        where {{ nudge.written_after(nudge._first_value('select max(processed_as_of) from ' ~ this)) }}
    {%- endif %}
{%- endset %}
{%- set touched = nudge.touched_keys('contact_id', touched_contacts) %}

with

{{ touched.cte }}

contacts as (

    select contact_id
    from (
        select user_id as contact_id from {{ ref('stg_identifies') }}
        {{ nudge.set_union() }}
        select user_id as contact_id from {{ ref('stg_events') }}
        where user_id is not null
    ) as seen
    where {{ touched.filter }}

),

traits as (

    select *
    from (
        select
            user_id as contact_id,
            created_at,
            first_identified_at,
            last_identified_at
        from {{ ref('int_contact_traits_coalesced') }}
    ) as user_traits
    where {{ touched.filter }}

),

activity as (

    select
        contact_id,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        min(case when event_name = 'Signed Up' then event_at end) as signed_up_at
    from {{ ref('int_events_attributed') }}
    where contact_id is not null and {{ touched.filter }}
    group by contact_id

),

final as (

    select
        contacts.contact_id,
        coalesce(activity.signed_up_at, traits.created_at) as signed_up_at,
        case
            when activity.first_event_at is null then traits.first_identified_at
            when traits.first_identified_at is null then activity.first_event_at
            when traits.first_identified_at < activity.first_event_at then traits.first_identified_at
            else activity.first_event_at
        end as first_seen_at,
        case
            when activity.last_event_at is null then traits.last_identified_at
            when traits.last_identified_at is null then activity.last_event_at
            when traits.last_identified_at > activity.last_event_at then traits.last_identified_at
            else activity.last_event_at
        end as last_seen_at,
        {{ nudge.as_of() }} as processed_as_of
    from contacts
    left join traits
        on contacts.contact_id = traits.contact_id
    left join activity
        on contacts.contact_id = activity.contact_id

)

{{ nudge.replace_keys('final', 'contact_id', 'touched', since) }}
