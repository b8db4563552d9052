{#-
    One row per send_key in the activation send ledger as of `as_of`: a row written after
    as_of did not exist yet, and an outcome recorded after as_of was still pending then, so
    replaying an earlier as_of sees the ledger as it was. A send_key is sent when any
    destination confirmed it; skipped (may not be emailed at send time) when a destination
    skipped it and none sent it; expired when the send-time gate found it too late at the
    moment of sending. 'deferred' and 'capped' (waiting for a later run) say nothing final.
-#}

with

ledger as (

    select * from {{ ref('stg_send_ledger') }}
    where
        send_key is not null
        and created_at <= {{ nudge.as_of() }}

),

outcomes as (

    select
        send_key,
        contact_id,
        case when status = 'sent' and sent_at <= {{ nudge.as_of() }} then sent_at end as confirmed_sent_at,
        case when status = 'skipped' and updated_at <= {{ nudge.as_of() }} then coalesce(status_reason, 'skipped') end
            as skipped_reason,
        case when status = 'expired' and updated_at <= {{ nudge.as_of() }} then coalesce(status_reason, 'expired') end
            as expired_reason,
        case when status = 'expired' and updated_at <= {{ nudge.as_of() }} then updated_at end as expired_at,
        attempts
    from ledger

)

select
    send_key,
    min(contact_id) as contact_id,
    min(confirmed_sent_at) as sent_at,
    min(skipped_reason) as skipped_reason,
    min(expired_reason) as expired_reason,
    min(expired_at) as expired_at,
    cast(coalesce(sum(attempts), 0) as {{ dbt.type_int() }}) as attempts,
    cast(count(*) as {{ dbt.type_int() }}) as destinations
from outcomes
group by send_key
