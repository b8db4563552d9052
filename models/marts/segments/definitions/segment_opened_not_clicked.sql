{#- opened_not_clicked: var segment_opened_not_clicked_min_opens (3) or more emails opened and none clicked in 90 days. -#}

with

profiles as (

    select * from {{ ref('contact_profiles') }}

)

select
    contact_id,
    email_opens_90d
from profiles
where
    email_opens_90d >= {{ var('segment_opened_not_clicked_min_opens') }}
    and email_clicks_90d = 0
