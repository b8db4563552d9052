{#- subscribers: a valid email, consent, not suppressed (exactly who sync_klaviyo_subscribers sends). -#}

with

profiles as (

    select * from {{ ref('contact_profiles') }}

)

select
    contact_id,
    email
from profiles
where
    email is not null
    and has_consent
    and not is_suppressed
