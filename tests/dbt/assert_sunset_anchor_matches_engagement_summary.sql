{#-
    The sunset trigger anchors on int_unengaged_periods_detected, the sunset suppression of
    contact_profiles reads int_email_engagement_summarized.unengaged_since: the open
    period (not re-engaged) must be exactly that moment, else a contact could be suppressed
    for sunset without a sunset email, or the other way round. Returns the mismatches.
-#}

with

open_periods as (

    select
        contact_id,
        unengaged_at
    from {{ ref('int_unengaged_periods_detected') }}
    where re_engaged_at is null

),

summary as (

    select
        contact_id,
        unengaged_since
    from {{ ref('int_email_engagement_summarized') }}
    where unengaged_since is not null

)

select
    coalesce(open_periods.contact_id, summary.contact_id) as contact_id,
    open_periods.unengaged_at,
    summary.unengaged_since
from open_periods
full outer join summary
    on open_periods.contact_id = summary.contact_id
where
    open_periods.contact_id is null
    or summary.contact_id is null
    or open_periods.unengaged_at <> summary.unengaged_since
