{#-
    One row per contact (a user_id seen in identify calls or events): when it was first and
    last seen (its attributed events and identify calls) and when it signed up (its first
    Signed Up event, else the created_at trait).
-#}

with

contacts as (

    select user_id as contact_id from {{ ref('stg_identifies') }}
    {{ nudge.set_union() }}
    select user_id as contact_id from {{ ref('stg_events') }}
    where user_id is not null

),

traits as (

    select * from {{ ref('int_contact_traits_coalesced') }}

),

activity as (

    select
        contact_id,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        min(case when event_name = 'Signed Up' then event_at end) as signed_up_at
    from {{ ref('int_events_attributed') }}
    where contact_id is not null
    group by contact_id

)

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
    end as last_seen_at
from contacts
left join traits
    on contacts.contact_id = traits.user_id
left join activity
    on contacts.contact_id = activity.contact_id
