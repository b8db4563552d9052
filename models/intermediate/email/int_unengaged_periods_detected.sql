{#-
    One row per time a contact became unengaged, up to `as_of`, over the whole email
    history: the rule of int_email_engagement_summarized applied to every stretch between
    two opens or clicks (and to the stretch before the first). A stretch starting at an
    engagement (or at the start, without one) becomes unengaged at the later of its
    var unengaged_min_delivered-th (5) delivery and engagement + var unengaged_days (90);
    without an earlier engagement, at that delivery. It only counts when that happens
    before the next open or click, which is re_engaged_at (null while still unengaged).
    The open row (re_engaged_at null) has int_email_engagement_summarized.unengaged_since
    as its unengaged_at: the sunset trigger anchors on these rows, the sunset suppression
    reads that column. Both apply the tenure floor (nudge.unengaged_after_tenure): no
    period starts before the contact has been subscribed for var unengaged_min_tenure_days
    in its current consent span, and a contact without consent has none.
-#}

{%- set min_delivered = var('unengaged_min_delivered') %}

with

email_events as (

    select * from {{ ref('int_email_events_parsed') }}
    where
        contact_id is not null
        and event_at <= {{ nudge.as_of() }}

),

-- each delivery's stretch lies between the latest engagement at or before it and the first
-- at or after it: one sort of the contact's events, not a join of every stretch with every
-- delivery. A delivery at the instant of an engagement is in no stretch (the bounds are
-- strict), and for the others no engagement shares their instant.
delivery_stretches as (

    select
        contact_id,
        event_at as delivered_at,
        message_id,
        email_event,
        max(case when email_event in ('opened', 'clicked') then event_at end) over (
            partition by contact_id
            order by event_at
        ) as last_engaged_at,
        min(case when email_event in ('opened', 'clicked') then event_at end) over (
            partition by contact_id
            order by event_at
            rows between current row and unbounded following
        ) as next_engaged_at
    from email_events
    where email_event in ('delivered', 'opened', 'clicked')

),

deliveries as (

    select
        contact_id,
        last_engaged_at,
        next_engaged_at,
        delivered_at,
        row_number() over (
            partition by contact_id, last_engaged_at
            order by delivered_at, message_id
        ) as delivery_number
    from delivery_stretches
    where
        email_event = 'delivered'
        and (last_engaged_at is null or last_engaged_at < delivered_at)

),

consent as (

    select * from {{ ref('int_consent_states_derived') }}

),

delivery_rule as (

    select
        contact_id,
        last_engaged_at,
        next_engaged_at,
        case
            when last_engaged_at is null then delivered_at
            when delivered_at > {{ dbt.dateadd('day', var('unengaged_days'), 'last_engaged_at') }} then delivered_at
            else {{ dbt.dateadd('day', var('unengaged_days'), 'last_engaged_at') }}
        end as delivery_rule_unengaged_at
    from deliveries
    where delivery_number = {{ min_delivered }}

),

unengaged as (

    select
        delivery_rule.contact_id,
        delivery_rule.last_engaged_at,
        delivery_rule.next_engaged_at,
        {{ nudge.unengaged_after_tenure('delivery_rule.delivery_rule_unengaged_at', 'consent.subscribed_since') }}
            as unengaged_at
    from delivery_rule
    left join consent
        on delivery_rule.contact_id = consent.contact_id

)

select
    {{ dbt.concat(['contact_id', "'@'", nudge.timestamp_key('unengaged_at')]) }} as period_key,
    contact_id,
    unengaged_at,
    last_engaged_at,
    next_engaged_at as re_engaged_at
from unengaged
where
    unengaged_at <= {{ nudge.as_of() }}
    and (next_engaged_at is null or unengaged_at < next_engaged_at)
