{#-
    One row per contact with email engagement or web/app activity up to `as_of`: the local
    hour (0–23, in the contact's resolved timezone, UTC when unknown) with the most email
    opens and clicks; without any, the hour with the most web/app events. Ties: the
    earlier hour.
-#}

with

timezones as (

    select * from {{ ref('int_contact_timezones_resolved') }}

),

engagement as (

    select
        contact_id,
        event_at,
        1 as basis_rank
    from {{ ref('int_email_events_parsed') }}
    where
        contact_id is not null
        and email_event in ('opened', 'clicked')
        and event_at <= {{ nudge.as_of() }}

),

activity as (

    select
        contact_id,
        event_at,
        2 as basis_rank
    from {{ ref('int_site_events_sessionized') }}

),

signals as (

    select * from engagement
    union all
    select * from activity

),

localized as (

    select
        signals.contact_id,
        signals.basis_rank,
        {{ nudge.hour_of_day(nudge.utc_to_local('signals.event_at', "coalesce(timezones.timezone, 'UTC')")) }} as local_hour
    from signals
    left join timezones
        on signals.contact_id = timezones.contact_id

),

best_basis as (

    select
        contact_id,
        min(basis_rank) as basis_rank
    from localized
    group by contact_id

),

hour_counts as (

    select
        localized.contact_id,
        localized.basis_rank,
        localized.local_hour,
        count(*) as signal_count
    from localized
    inner join best_basis
        on
            localized.contact_id = best_basis.contact_id
            and localized.basis_rank = best_basis.basis_rank
    group by localized.contact_id, localized.basis_rank, localized.local_hour

),

ranked as (

    select
        *,
        row_number() over (
            partition by contact_id
            order by signal_count desc, local_hour asc
        ) as hour_rank
    from hour_counts

)

select
    contact_id,
    cast(local_hour as {{ dbt.type_int() }}) as preferred_send_hour,
    case when basis_rank = 1 then 'email_engagement' else 'site_activity' end as send_hour_basis,
    cast(signal_count as {{ dbt.type_int() }}) as signal_count
from ranked
where hour_rank = 1
