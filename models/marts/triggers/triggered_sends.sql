{#-
    One row per send (contact_id, trigger_key, series_id, step) of every trigger as of
    `as_of` (docs/contracts/behaviors.md, "Triggers" and "Guardrails"): the series of every
    model tagged `trigger` (models/marts/triggers/definitions/), filtered for re-entry,
    expanded into steps with seeds/trigger_catalog.csv, deferred out of quiet hours, given
    their send-time optimization arm and send_after (macros/triggers/send_time.sql), and
    given one status by the ledger, cancellation and the guardrails in order
    (macros/triggers/). Adding a trigger is adding its model there, its catalog row and its
    depends_on line below (kept alphabetical): dbt learns a model's upstream models while
    parsing, before the graph the macro reads exists, and the build fails naming any
    trigger model missing here.
-#}

-- depends_on: {{ ref('trigger_anniversary') }}
-- depends_on: {{ ref('trigger_at_risk_checkin') }}
-- depends_on: {{ ref('trigger_back_in_stock') }}
-- depends_on: {{ ref('trigger_birthday') }}
-- depends_on: {{ ref('trigger_browse_abandonment') }}
-- depends_on: {{ ref('trigger_cart_abandonment') }}
-- depends_on: {{ ref('trigger_category_interest') }}
-- depends_on: {{ ref('trigger_content_followup') }}
-- depends_on: {{ ref('trigger_cross_sell') }}
-- depends_on: {{ ref('trigger_post_purchase_review') }}
-- depends_on: {{ ref('trigger_price_drop') }}
-- depends_on: {{ ref('trigger_reengagement') }}
-- depends_on: {{ ref('trigger_replenishment') }}
-- depends_on: {{ ref('trigger_review_thanks') }}
-- depends_on: {{ ref('trigger_sunset') }}
-- depends_on: {{ ref('trigger_support_followup') }}
-- depends_on: {{ ref('trigger_vip_welcome') }}
-- depends_on: {{ ref('trigger_welcome') }}
-- depends_on: {{ ref('trigger_winback') }}

with

series as (

    {{ nudge.trigger_series_rows() }}

),

-- the same rows again, for the re-entry window to read only their keys
series_keys as (

    {{ nudge.trigger_series_rows() }}

),

catalog as (

    select * from {{ ref('trigger_catalog') }}

),

kept_series as (

    {{ nudge.trigger_series_reentry_filtered('series', 'series_keys', 'catalog') }}

),

steps as (

    {{ nudge.trigger_series_steps('kept_series', 'catalog') }}

),

timezones as (

    select * from {{ ref('int_contact_timezones_resolved') }}

),

profiles as (

    select * from {{ ref('contact_profiles') }}

),

ledger as (

    select * from {{ ref('int_ledger_sends_summarized') }}

),

ledger_sends as (

    select
        {{ nudge.send_cap_key('profiles.email_key', 'ledger.contact_id') }} as cap_key,
        ledger.sent_at
    from ledger
    left join profiles
        on ledger.contact_id = profiles.contact_id
    where ledger.sent_at is not null

),

recent_sends as (

    select
        cap_key,
        sum(case when sent_at > {{ dbt.dateadd('hour', -24, nudge.as_of()) }} then 1 else 0 end) as sent_24h,
        sum(case when sent_at > {{ dbt.dateadd('day', -7, nudge.as_of()) }} then 1 else 0 end) as sent_7d,
        max(sent_at) as last_sent_at
    from ledger_sends
    group by cap_key

),

topic_preferences as (

    select * from {{ ref('int_topic_preferences_derived') }}

),

timed as (

    select
        steps.*,
        {{ nudge.trigger_send_key('steps.contact_id', 'steps.trigger_key', 'steps.series_id', 'steps.step') }} as send_key,
        coalesce(timezones.timezone, 'UTC') as timezone
    from steps
    left join timezones
        on steps.contact_id = timezones.contact_id

),

deferred as (

    {{ nudge.quiet_hours_deferred('timed', 'scheduled_at', 'timezone', 'quiet_hours_opt_out') }}

),

preferred_hours as (

    select * from {{ ref('int_send_hours_preferred') }}

),

population_hour as (

    select * from {{ ref('int_send_hours_preferred_population') }}

),

optimized as (

    {{ nudge.send_time_optimized('deferred', 'preferred_hours', 'population_hour') }}

),

checked as (

    select
        optimized.*,
        {{ nudge.send_expires_at('optimized.due_at') }} as expires_at,
        ledger.sent_at as ledger_sent_at,
        ledger.skipped_reason as ledger_skipped_reason,
        ledger.expired_reason as ledger_expired_reason,
        coalesce(profiles.is_suppressed, true) as is_suppressed,
        case when profiles.contact_id is null then 'unknown_contact' else profiles.suppression_reason end
            as suppression_reason,
        coalesce(not topic_preferences.is_subscribed, false) as is_topic_opted_out,
        profiles.frequency_window_days,
        {{ nudge.send_cap_key('profiles.email_key', 'optimized.contact_id') }} as cap_key,
        {{ nudge.is_held_out('optimized.contact_id', 'optimized.trigger_key') }} as is_held_out,
        {{ nudge.ab_variant('optimized.contact_id', 'optimized.trigger_key', 'optimized.variant_b_pct') }} as variant
    from optimized
    left join ledger
        on optimized.send_key = ledger.send_key
    left join profiles
        on optimized.contact_id = profiles.contact_id
    left join topic_preferences
        on
            profiles.email_key = topic_preferences.email_key
            and optimized.topic = topic_preferences.topic

),

statused as (

    {{ nudge.trigger_send_status('checked') }}

),

capped as (

    {{ nudge.trigger_sends_capped('statused', 'recent_sends') }}

)

select
    cast(send_key as {{ dbt.type_string() }}) as send_key,
    contact_id,
    trigger_key,
    series_id,
    cast(step as {{ dbt.type_int() }}) as step,
    anchor_at,
    scheduled_at,
    due_at,
    send_after,
    cast(send_time_arm as {{ dbt.type_string() }}) as send_time_arm,
    cast(capped_status as {{ dbt.type_string() }}) as status,
    cast(capped_status_reason as {{ dbt.type_string() }}) as status_reason,
    cast(variant as {{ dbt.type_string() }}) as variant,
    cast(priority as {{ dbt.type_int() }}) as priority,
    esp_metric,
    cast(topic as {{ dbt.type_string() }}) as topic,
    cast({{ nudge.json_object_prepend('payload', 'incentive', nudge.json_boolean('is_incentive')) }} as {{ dbt.type_string() }}) as payload,
    is_incentive,
    timezone,
    cast(quiet_hours_opt_out as {{ dbt.type_boolean() }}) as quiet_hours_opt_out,
    cancelled_at,
    ledger_sent_at as sent_at,
    trigger_model,
    {{ nudge.as_of() }} as as_of
from capped
