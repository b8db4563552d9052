{#-
    One row per time a contact became unengaged, up to `as_of`: the periods
    int_unengaged_periods_projected (incremental) holds whose instant as_of has reached. A
    view: each run moves its as_of, and no row needs recomputing because time passed.
-#}

{{ config(materialized='view') }}

select
    period_key,
    contact_id,
    unengaged_at,
    last_engaged_at,
    re_engaged_at
from {{ ref('int_unengaged_periods_projected') }}
where unengaged_at <= {{ nudge.as_of() }}
