{#- app_users: an Application Opened within var segment_app_user_days (30) before as_of. -#}

with

app_opens as (

    select * from {{ ref('int_events_attributed') }}
    where
        contact_id is not null
        and event_name = 'Application Opened'
        and event_at > {{ dbt.dateadd('day', -1 * var('segment_app_user_days'), nudge.as_of()) }}
        and event_at <= {{ nudge.as_of() }}

)

select
    contact_id,
    max(event_at) as last_app_opened_at
from app_opens
group by contact_id
