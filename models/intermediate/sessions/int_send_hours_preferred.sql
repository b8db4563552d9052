{{ config(**nudge.incremental_config('contact_id')) }}
{%- set since = nudge.incremental_since(
    inputs=[ref('int_events_attributed')],
    rebuilt=[ref('int_email_events_parsed'), ref('int_site_events_sessionized')],
) %}

{#-
    One row per contact with email engagement or web/app activity up to `as_of`: the local
    hour (0–23, in the contact's resolved timezone, UTC when unknown) with the most email
    opens and clicks; without any, the hour with the most web/app events. Ties: the
    earlier hour.
    Converting every signal to local time is the costly part: only the best basis's
    signals are converted, and each (zone, UTC hour) once, at both ends. When the local
    clock runs exactly one hour over that UTC hour (no offset change inside it) and starts
    on a whole minute, a signal at minute m of the UTC hour is at the hour's local start +
    m minutes, to the hour; a signal in an hour with an offset change is converted by
    itself.
    Incremental per contact: a run recomputes the contacts whose events may have changed
    (nudge.changed_contacts) and those whose resolved timezone is not the one
    their row was computed in.
-#}

-- depends_on: {{ ref('int_contact_changes_detected') }}

{%- set touched_contacts -%}
    {{ nudge.changed_contacts(since) }}
    {%- if since is not none %}
        union
        select held.contact_id
        from {{ this }} as held
        left join {{ ref('int_contact_timezones_resolved') }} as timezones
            on held.contact_id = timezones.contact_id
        where held.timezone <> coalesce(timezones.timezone, 'UTC')
    {%- endif %}
{%- endset %}
{%- set touched = nudge.touched_keys('contact_id', touched_contacts) %}

with

{{ touched.cte }}

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
        and {{ touched.filter }}

),

activity as (

    select
        contact_id,
        event_at,
        2 as basis_rank
    from {{ ref('int_site_events_sessionized') }}
    where {{ touched.filter }}

),

signals as (

    select * from engagement
    union all
    select * from activity

),

best_basis as (

    select
        contact_id,
        min(basis_rank) as basis_rank
    from signals
    group by contact_id

),

kept as (

    select
        signals.contact_id,
        signals.basis_rank,
        signals.event_at,
        {{ dbt.date_trunc('hour', 'signals.event_at') }} as utc_hour,
        coalesce(timezones.timezone, 'UTC') as timezone
    from signals
    inner join best_basis
        on
            signals.contact_id = best_basis.contact_id
            and signals.basis_rank = best_basis.basis_rank
    left join timezones
        on signals.contact_id = timezones.contact_id

),

zone_hours as (

    select
        timezone,
        utc_hour,
        {{ nudge.utc_to_local('utc_hour', 'timezone') }} as local_start,
        {{ nudge.utc_to_local('(' ~ dbt.dateadd('hour', 1, 'utc_hour') ~ ')', 'timezone') }} as local_end
    from (
        select distinct
            timezone,
            utc_hour
        from kept
    ) as distinct_zone_hours

),

localized as (

    select
        kept.contact_id,
        kept.basis_rank,
        case
            when
                zone_hours.local_end = {{ dbt.dateadd('hour', 1, 'zone_hours.local_start') }}
                and zone_hours.local_start = {{ dbt.date_trunc('minute', 'zone_hours.local_start') }}
                then {{ nudge.hour_of_day(dbt.dateadd('minute', nudge.minute_of_hour('kept.event_at'), 'zone_hours.local_start')) }}
            else {{ nudge.hour_of_day(nudge.utc_to_local('kept.event_at', 'kept.timezone')) }}
        end as local_hour
    from kept
    left join zone_hours
        on
            kept.timezone = zone_hours.timezone
            and kept.utc_hour = zone_hours.utc_hour

),

hour_counts as (

    select
        contact_id,
        basis_rank,
        local_hour,
        count(*) as signal_count
    from localized
    group by contact_id, basis_rank, local_hour

),

ranked as (

    select
        *,
        row_number() over (
            partition by contact_id
            order by signal_count desc, local_hour asc
        ) as hour_rank
    from hour_counts

),

final as (

    select
        ranked.contact_id,
        cast(ranked.local_hour as {{ dbt.type_int() }}) as preferred_send_hour,
        case when ranked.basis_rank = 1 then 'email_engagement' else 'site_activity' end as send_hour_basis,
        cast(ranked.signal_count as {{ dbt.type_int() }}) as signal_count,
        coalesce(timezones.timezone, 'UTC') as timezone,
        {{ nudge.as_of() }} as processed_as_of
    from ranked
    left join timezones
        on ranked.contact_id = timezones.contact_id
    where ranked.hour_rank = 1

)

{{ nudge.replace_keys('final', 'contact_id', 'touched', since) }}
