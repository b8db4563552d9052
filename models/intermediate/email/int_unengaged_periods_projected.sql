{{ config(**nudge.incremental_config('contact_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per time a contact becomes unengaged, as its email history up to `as_of`
    projects it, the instant possibly after as_of (int_unengaged_periods_detected keeps
    those reached by then): the rule of int_email_engagement_summarized applied to every
    stretch between two opens or clicks (and to the stretch before the first). A stretch
    starting at an engagement (or at the start, without one) becomes unengaged at the later
    of its var unengaged_min_delivered-th (5) delivery and engagement + var unengaged_days
    (90); without an earlier engagement, at that delivery. It only counts when that happens
    before the next open or click, which is re_engaged_at (null while still unengaged).
    The open row (re_engaged_at null) has int_email_engagement_summarized.unengaged_since
    as its unengaged_at: the sunset trigger anchors on these rows, the sunset suppression
    reads that column. Both apply the tenure floor (nudge.unengaged_after_tenure): no
    period starts before the contact has been subscribed for var unengaged_min_tenure_days
    in its current consent span, and a contact without consent has none.
    Incremental per contact: time alone changes no row (the instant is kept even when
    ahead of as_of), so a run recomputes the contacts whose events may have changed
    (nudge.changed_contacts: email feedback and consent events), and every
    contact when one of the three vars changed (settings_fingerprint); a change to this SQL
    needs `--full-refresh`.
-#}

-- depends_on: {{ ref('int_contact_changes_detected') }}

{%- set min_delivered = var('unengaged_min_delivered') %}
{%- set settings_key = "'" ~ [min_delivered, var('unengaged_days'), var('unengaged_min_tenure_days')] | join('|') ~ "'" %}
{%- set since = nudge.since_unless_settings_changed(
    since, nudge.row_fingerprint([settings_key]), 'unengaged_min_delivered, unengaged_days or unengaged_min_tenure_days changed'
) %}
{%- set touched = nudge.touched_keys('contact_id', nudge.changed_contacts(since)) %}

with

{{ touched.cte }}

email_events as (

    select * from {{ ref('int_email_events_parsed') }}
    where
        contact_id is not null
        and event_at <= {{ nudge.as_of() }}
        and {{ touched.filter }}

),

stretch_starts as (

    select distinct
        contact_id,
        cast(null as {{ dbt.type_timestamp() }}) as last_engaged_at
    from email_events
    union all
    select distinct
        contact_id,
        event_at as last_engaged_at
    from email_events
    where email_event in ('opened', 'clicked')

),

stretches as (

    select
        contact_id,
        last_engaged_at,
        lead(last_engaged_at) over (
            partition by contact_id
            order by case when last_engaged_at is null then 0 else 1 end, last_engaged_at
        ) as next_engaged_at
    from stretch_starts

),

deliveries as (

    select
        stretches.contact_id,
        stretches.last_engaged_at,
        stretches.next_engaged_at,
        email_events.event_at as delivered_at,
        row_number() over (
            partition by stretches.contact_id, stretches.last_engaged_at
            order by email_events.event_at, email_events.message_id
        ) as delivery_number
    from stretches
    inner join email_events
        on
            stretches.contact_id = email_events.contact_id
            and email_events.email_event = 'delivered'
            and (stretches.last_engaged_at is null or stretches.last_engaged_at < email_events.event_at)
            and (stretches.next_engaged_at is null or stretches.next_engaged_at > email_events.event_at)

),

consent as (

    select * from {{ ref('int_consent_states_derived') }}
    where {{ touched.filter }}

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

),

final as (

    select
        {{ dbt.concat(['contact_id', "'@'", nudge.timestamp_key('unengaged_at')]) }} as period_key,
        contact_id,
        unengaged_at,
        last_engaged_at,
        next_engaged_at as re_engaged_at,
        {{ nudge.row_fingerprint([settings_key]) }} as settings_fingerprint,
        {{ nudge.as_of() }} as processed_as_of
    from unengaged
    where
        unengaged_at is not null
        and (next_engaged_at is null or unengaged_at < next_engaged_at)

)

{{ nudge.replace_keys('final', 'contact_id', 'touched', since) }}
