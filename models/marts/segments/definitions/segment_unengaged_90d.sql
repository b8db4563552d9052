{#- unengaged_90d: var unengaged_min_delivered (5) or more emails delivered and no open or click in 90 days. -#}

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
