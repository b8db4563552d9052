{#- engaged_subscribers: an email opened or clicked within var segment_engaged_days (30) before as_of. -#}

with

profiles as (

    select * from {{ ref('contact_profiles') }}

)

select
    contact_id,
    last_email_engaged_at
from profiles
where last_email_engaged_at > {{ dbt.dateadd('day', -1 * var('segment_engaged_days'), nudge.as_of()) }}
