{#-
    One row per (contact_id, trigger_key, series_id) in a trigger's experiment as of
    `as_of`: arm 'sent' when any of its steps was sent, 'held_out' when its contact is in
    the trigger's holdout and a step came due while the flow was live (from the trigger's
    first sent step on) without being cancelled or suppressed first. A held-out step is
    'held_out' only while it is sendable and 'expired' or 'cancelled' afterwards (guardrail
    order), so those count too: otherwise held-out contacts who bought (which cancels the
    series) would leave the control group. For the same reason a held-out step shown
    'suppressed' counts when the contact's consent ended after its due_at (unsubscribed,
    bounced or complained later, as sent contacts may): the suppression did not exist at
    exposure. exposed_at = the first such step's due_at; converted = an order within
    `experiment_conversion_window_days` (default 7) after it. send_time_arm = the contact's
    send-time optimization arm for the trigger (null without one): both arms' windows start
    at the due time, so the optimized arm's wait counts against it.
-#}

with

sends as (

    select * from {{ ref('triggered_sends') }}
    where due_at <= {{ nudge.as_of() }}

),

consent as (

    select
        contact_id,
        consent_changed_at
    from {{ ref('int_consent_states_derived') }}
    where not has_consent

),

live_since as (

    select
        trigger_key,
        min(due_at) as first_sent_due_at
    from sends
    where status = 'sent'
    group by trigger_key

),

armed as (

    select
        sends.contact_id,
        sends.trigger_key,
        sends.series_id,
        sends.variant,
        sends.send_time_arm,
        sends.due_at,
        sends.sent_at,
        case
            when sends.status = 'sent' then 'sent'
            when sends.status = 'held_out' then 'held_out'
            when
                (
                    sends.status in ('expired', 'cancelled')
                    or (sends.status = 'suppressed' and consent.consent_changed_at > sends.due_at)
                )
                and sends.due_at >= live_since.first_sent_due_at
                and (sends.cancelled_at is null or sends.due_at <= sends.cancelled_at)
                -- last: the hash is the costly test, and few rows get this far
                and {{ nudge.is_held_out('sends.contact_id', 'sends.trigger_key') }}
                then 'held_out'
        end as arm
    from sends
    left join live_since
        on sends.trigger_key = live_since.trigger_key
    left join consent
        on sends.contact_id = consent.contact_id

),

units as (

    select
        contact_id,
        trigger_key,
        series_id,
        max(case when arm = 'sent' then 1 else 0 end) as any_sent,
        min(variant) as variant,
        min(send_time_arm) as send_time_arm,
        min(due_at) as exposed_at
    from armed
    where arm is not null
    group by contact_id, trigger_key, series_id

),

conversions as (

    select
        units.contact_id,
        units.trigger_key,
        units.series_id,
        count(orders.order_id) as orders_in_window
    from units
    inner join {{ ref('int_orders_netted') }} as orders
        on
            units.contact_id = orders.contact_id
            and units.exposed_at < orders.ordered_at
            and {{ dbt.dateadd('day', var('experiment_conversion_window_days', 7) | int, 'units.exposed_at') }}
            >= orders.ordered_at
    group by units.contact_id, units.trigger_key, units.series_id

),

clicks as (

    select
        contact_id,
        trigger_key,
        series_id,
        max(case when clicked_at is not null then 1 else 0 end) as clicked
    from {{ ref('int_sends_engagement_summarized') }}
    group by contact_id, trigger_key, series_id

)

select
    units.contact_id,
    units.trigger_key,
    units.series_id,
    case when units.any_sent = 1 then 'sent' else 'held_out' end as arm,
    units.variant,
    units.send_time_arm,
    units.exposed_at,
    coalesce(conversions.orders_in_window, 0) > 0 as converted,
    units.any_sent = 1 and coalesce(clicks.clicked, 0) = 1 as clicked
from units
left join conversions
    on
        units.contact_id = conversions.contact_id
        and units.trigger_key = conversions.trigger_key
        and units.series_id = conversions.series_id
left join clicks
    on
        units.contact_id = clicks.contact_id
        and units.trigger_key = clicks.trigger_key
        and units.series_id = clicks.series_id
