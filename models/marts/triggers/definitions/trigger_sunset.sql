{#-
    sunset: each time a contact became unengaged (int_unengaged_periods_detected: var
    unengaged_min_delivered (5) emails delivered and no open or click for var unengaged_days
    (90), not before var unengaged_min_tenure_days (90) of consent), anchored at that
    moment; series_id = that instant. Cancelled ('email_engaged') by
    the next open or click. If none comes within var sunset_grace_days (14) of the anchor,
    contact_profiles suppresses the contact with reason 'sunset' (the same moment:
    int_email_engagement_summarized.unengaged_since is the anchor of the open series).
    Payload: the last engagement and when the suppression takes effect.
-#}

with

periods as (

    select * from {{ ref('int_unengaged_periods_detected') }}

)

select
    contact_id,
    'sunset' as trigger_key,
    {{ nudge.timestamp_key('unengaged_at') }} as series_id,
    unengaged_at as anchor_at,
    re_engaged_at as cancelled_at,
    case when re_engaged_at is not null then 'email_engaged' end as cancel_reason,
    cast(null as {{ dbt.type_string() }}) as reentry_key,
    {{ nudge.json_object_text([
        ('unengaged_since', nudge.timestamp_key('unengaged_at'), 'string'),
        ('last_engaged_at', nudge.timestamp_key('last_engaged_at'), 'string'),
        ('suppressed_from', nudge.timestamp_key(dbt.dateadd('day', var('sunset_grace_days'), 'unengaged_at')), 'string'),
    ]) }} as payload
from periods
