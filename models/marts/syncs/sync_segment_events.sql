{#-
    Segment entries and exits as ESP events, for subscribers (as sync_klaviyo_subscribers):
    one row per segment_transitions row recorded within var segment_event_lookback_hours
    (72) of as_of, keyed by its transition_key (the event's unique_id, so a resend is
    recorded once). The first build's transitions are left out: that build records every
    member as entered, which is where segments started, not a move (a flow on "Entered
    segment" would otherwise start for every current member at once).
-#}

with

transitions as (

    select * from {{ ref('segment_transitions') }}

),

first_build as (

    select min(transitioned_at) as first_transitioned_at
    from transitions

),

subscribers as (

    select
        contact_id,
        email
    from {{ ref('sync_klaviyo_subscribers') }}

)

select
    transitions.transition_key,
    transitions.segment_key,
    transitions.contact_id,
    subscribers.email,
    transitions.transition,
    transitions.transitioned_at,
    {{ dbt.concat([
        "case when transitions.transition = 'entered' then 'Entered segment: '"
        ~ " else 'Exited segment: ' end",
        'transitions.segment_key',
    ]) }} as metric
from transitions
inner join subscribers
    on transitions.contact_id = subscribers.contact_id
cross join first_build
where
    transitions.transitioned_at > first_build.first_transitioned_at
    and transitions.transitioned_at
    >= {{ dbt.dateadd('hour', -1 * var('segment_event_lookback_hours', 72), nudge.as_of()) }}
