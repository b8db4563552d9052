{#-
    unengaged_90d: var unengaged_min_delivered (5) or more emails delivered and no open or click
    in 90 days, subscribed for var unengaged_min_tenure_days (90) at least (its current consent
    span; nudge.unengaged_tenure_floor): a subscriber who joined weeks ago is not unengaged.
-#}

with

profiles as (

    select * from {{ ref('contact_profiles') }}

)

select
    contact_id,
    email_delivered_90d
from profiles
where
    email_delivered_90d >= {{ var('unengaged_min_delivered') }}
    and email_opens_90d = 0
    and email_clicks_90d = 0
    and {{ nudge.unengaged_tenure_floor('subscribed_since') }} <= {{ nudge.as_of() }}
