{#-
    Exactly what leaves for Klaviyo: one row per subscribed address (valid email, consent,
    not suppressed), as its primary contact (contact_profiles.is_primary_for_email: the
    other contacts sharing the address are suppressed as 'duplicate_address'), the email
    normalized (lower-cased, trimmed). No columns that drift with time (no days_since_*),
    so an unchanged warehouse syncs nothing.
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
    profiles.last_order_at
from profiles
left join rfm
    on profiles.contact_id = rfm.contact_id
