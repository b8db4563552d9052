-- Only sendable contacts leave for Klaviyo, and every sendable contact does.
with

sync as (

    select * from {{ ref('sync_klaviyo_subscribers') }}

),

sendable as (

    select * from {{ ref('contact_profiles') }}
    where email is not null and has_consent and not is_suppressed

)

select
    coalesce(sync.contact_id, sendable.contact_id) as contact_id,
    case
        when sendable.contact_id is null then 'synced but not sendable'
        else 'sendable but not synced'
    end as failure
from sync
full outer join sendable
    on sync.contact_id = sendable.contact_id
where sync.contact_id is null or sendable.contact_id is null
