{#- inactive_30d: web/app activity before, none in the var segment_inactive_days (30) days up to as_of. -#}

with

sessions as (

    select * from {{ ref('int_sessions_aggregated') }}

),

last_activity as (

    select
        contact_id,
        max(ended_at) as last_active_at
    from sessions
    group by contact_id

)

select
    contact_id,
    last_active_at
from last_activity
where last_active_at <= {{ dbt.dateadd('day', -1 * var('segment_inactive_days'), nudge.as_of()) }}
