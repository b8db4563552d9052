{#-
    Exactly what leaves for Klaviyo: one row per subscribed address (valid email, consent,
    not suppressed), as its primary contact (contact_profiles.is_primary_for_email: the
    other contacts sharing the address are suppressed as 'duplicate_address'), the email
    normalized (lower-cased, trimmed). No columns that drift with time (no days_since_*),
    so an unchanged warehouse syncs nothing. The predictions (contact_predictions; null
    without one) are rounded to what a marketer filters on, so a refit that moves a
    probability in its fourth decimal does not resend every profile. The person's email
    preferences go too (email_frequency; unsubscribed_topics, a JSON array of the topics
    opted out of, '[]' when none), so the marketer's own Klaviyo flows and campaigns can
    honour them.
-#}

with

profiles as (

    select * from {{ ref('contact_profiles') }}
    where
        email is not null
        and has_consent
        and not is_suppressed
        and is_primary_for_email

),

rfm as (

    select * from {{ ref('contact_rfm') }}

),

predictions as (

    select * from {{ ref('contact_predictions') }}

),

unsubscribed_topics as (

    select
        email_key,
        {{ nudge.json_array_agg_text(nudge.json_value_text('topic', 'string'), 'topic') }} as unsubscribed_topics
    from {{ ref('int_topic_preferences_derived') }}
    where not is_subscribed
    group by email_key

)

select
    profiles.contact_id,
    profiles.email_key as email,
    profiles.first_name,
    profiles.last_name,
    profiles.timezone,
    profiles.lifecycle_stage,
    rfm.rfm_segment,
    rfm.rfm_score,
    profiles.orders_count,
    profiles.lifetime_revenue,
    profiles.last_order_at,
    cast(predictions.churn_probability as decimal(9, 2)) as churn_probability,
    cast(predictions.expected_orders_90d as decimal(9, 2)) as expected_orders_90d,
    cast(predictions.predicted_clv_365d as decimal(18, 2)) as predicted_clv_365d,
    profiles.email_frequency,
    coalesce(unsubscribed_topics.unsubscribed_topics, '[]') as unsubscribed_topics
from profiles
left join rfm
    on profiles.contact_id = rfm.contact_id
left join predictions
    on profiles.contact_id = predictions.contact_id
left join unsubscribed_topics
    on profiles.email_key = unsubscribed_topics.email_key
