{{ config(**nudge.incremental_config('contact_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    Per contact with ESP feedback up to `as_of`: distinct emails delivered, opened and
    clicked in the last 90 days, the latest of each, and the unengaged / sunset state:
    unengaged_since is when the contact had var unengaged_min_delivered (5) emails delivered
    since the last open or click (ever, without one) and var unengaged_days (90) had passed
    since that open or click; is_sunset once var sunset_grace_days (14) more have passed
    without an open or click (the sunset email went out and nothing followed). Never
    before the contact has been subscribed for var unengaged_min_tenure_days (90; its
    current consent span), never without consent (nudge.unengaged_after_tenure).
    Incremental per contact: a run recomputes the contacts whose events may have changed
    (nudge.changed_contacts: email feedback and consent events), those with an
    event that left the 90 days since the last run, those whose unengaged_since or the end of
    its grace came since (projected_unengaged_since keeps the instant the events project,
    even ahead of as_of), and every contact when one of the four vars changed
    (settings_fingerprint); a change to this SQL needs `--full-refresh`.
-#}

-- depends_on: {{ ref('int_contact_changes_detected') }}

{%- set min_delivered = var('unengaged_min_delivered') %}
{%- set grace_days = var('sunset_grace_days') %}
{%- set settings_key = "'" ~ [min_delivered, var('unengaged_days'), var('unengaged_min_tenure_days'), grace_days] | join('|') ~ "'" %}
{%- set since = nudge.since_unless_settings_changed(
    since, nudge.row_fingerprint([settings_key]), 'unengaged_min_delivered, unengaged_days, unengaged_min_tenure_days or sunset_grace_days changed'
) %}
{%- set touched_contacts -%}
    {{ nudge.changed_contacts(since) }}
    {%- if since is not none %}
        {%- set watermark = nudge.timestamp_literal(nudge.watermark()) %}
        union
        select contact_id from {{ ref('int_email_events_parsed') }}
        where
            event_at >= {{ dbt.dateadd('day', -90, watermark) }}
            and event_at <= {{ dbt.dateadd('day', -90, nudge.as_of()) }}
        union
        select contact_id from {{ this }}
        where
            (projected_unengaged_since >= {{ watermark }} and projected_unengaged_since <= {{ nudge.as_of() }})
            or (
                projected_unengaged_since >= {{ dbt.dateadd('day', -1 * grace_days, watermark) }}
                and projected_unengaged_since <= {{ dbt.dateadd('day', -1 * grace_days, nudge.as_of()) }}
            )
    {%- endif %}
{%- endset %}
{%- set touched = nudge.touched_keys('contact_id', touched_contacts) %}

with

{{ touched.cte }}

email_events as (

    select * from {{ ref('int_email_events_parsed') }}
    where
        contact_id is not null
        and event_at <= {{ nudge.as_of() }}
        and {{ touched.filter }}

),

latest as (

    select
        contact_id,
        max(case when email_event = 'delivered' then event_at end) as last_email_delivered_at,
        max(case when email_event = 'opened' then event_at end) as last_email_opened_at,
        max(case when email_event = 'clicked' then event_at end) as last_email_clicked_at,
        max(case when email_event in ('opened', 'clicked') then event_at end) as last_email_engaged_at
    from email_events
    group by contact_id

),

-- the distinct counts sort only the last 90 days' events, not the whole history
recent_counts as (

    select
        contact_id,
        count(distinct case when email_event = 'delivered' then email_key end) as email_delivered_90d,
        count(distinct case when email_event = 'opened' then email_key end) as email_opens_90d,
        count(distinct case when email_event = 'clicked' then email_key end) as email_clicks_90d,
        count(distinct case when email_event = 'bounced' then email_key end) as email_bounces_90d
    from email_events
    where event_at > {{ dbt.dateadd('day', -90, nudge.as_of()) }}
    group by contact_id

),

engagement as (

    select
        latest.contact_id,
        coalesce(recent_counts.email_delivered_90d, 0) as email_delivered_90d,
        coalesce(recent_counts.email_opens_90d, 0) as email_opens_90d,
        coalesce(recent_counts.email_clicks_90d, 0) as email_clicks_90d,
        coalesce(recent_counts.email_bounces_90d, 0) as email_bounces_90d,
        latest.last_email_delivered_at,
        latest.last_email_opened_at,
        latest.last_email_clicked_at,
        latest.last_email_engaged_at
    from latest
    left join recent_counts
        on latest.contact_id = recent_counts.contact_id

),

deliveries_since_engagement as (

    select
        email_events.contact_id,
        email_events.event_at,
        row_number() over (
            partition by email_events.contact_id
            order by email_events.event_at, email_events.message_id
        ) as delivery_number
    from email_events
    inner join engagement
        on email_events.contact_id = engagement.contact_id
    where
        email_events.email_event = 'delivered'
        and (
            engagement.last_email_engaged_at is null
            or email_events.event_at > engagement.last_email_engaged_at
        )

),

consent as (

    select * from {{ ref('int_consent_states_derived') }}
    where {{ touched.filter }}

),

threshold_deliveries as (

    select
        contact_id,
        event_at as threshold_delivered_at
    from deliveries_since_engagement
    where delivery_number = {{ min_delivered }}

),

unengaged as (

    select
        engagement.*,
        case
            when threshold_deliveries.threshold_delivered_at is null then null
            when engagement.last_email_engaged_at is null then threshold_deliveries.threshold_delivered_at
            when
                threshold_deliveries.threshold_delivered_at
                > {{ dbt.dateadd('day', var('unengaged_days'), 'engagement.last_email_engaged_at') }}
                then threshold_deliveries.threshold_delivered_at
            else {{ dbt.dateadd('day', var('unengaged_days'), 'engagement.last_email_engaged_at') }}
        end as delivery_rule_unengaged_at,
        consent.subscribed_since
    from engagement
    left join threshold_deliveries
        on engagement.contact_id = threshold_deliveries.contact_id
    left join consent
        on engagement.contact_id = consent.contact_id

),

tenured as (

    select
        *,
        {{ nudge.unengaged_after_tenure('delivery_rule_unengaged_at', 'subscribed_since') }} as unengaged_since
    from unengaged

),

final as (

    select
        contact_id,
        cast(email_delivered_90d as {{ dbt.type_int() }}) as email_delivered_90d,
        cast(email_opens_90d as {{ dbt.type_int() }}) as email_opens_90d,
        cast(email_clicks_90d as {{ dbt.type_int() }}) as email_clicks_90d,
        cast(email_bounces_90d as {{ dbt.type_int() }}) as email_bounces_90d,
        last_email_delivered_at,
        last_email_opened_at,
        last_email_clicked_at,
        last_email_engaged_at,
        case when unengaged_since <= {{ nudge.as_of() }} then unengaged_since end as unengaged_since,
        coalesce(
            unengaged_since <= {{ dbt.dateadd('day', -1 * grace_days, nudge.as_of()) }},
            false
        ) as is_sunset,
        unengaged_since as projected_unengaged_since,
        {{ nudge.row_fingerprint([settings_key]) }} as settings_fingerprint,
        {{ nudge.as_of() }} as processed_as_of
    from tenured

)

{{ nudge.replace_keys('final', 'contact_id', 'touched', since) }}
