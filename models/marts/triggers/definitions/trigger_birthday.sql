{#-
    birthday: the contact's birthday each year at var trigger_yearly_local_hour (09:00) in
    their own time zone (int_contact_timezones_resolved; UTC when unknown or not a zone
    every engine knows). series_id = the year. A Feb 29 birthday is celebrated on Feb 28
    in non-leap years (still in February, the day before the one that does not exist).
    Only the latest birthday at or before as_of and the next one are series.
-#}

with

profiles as (

    select
        contact_id,
        first_name,
        birthday
    from {{ ref('contact_profiles') }}
    where birthday is not null

),

timezones as (

    select * from {{ ref('int_contact_timezones_resolved') }}

),

contacts as (

    select
        profiles.contact_id,
        profiles.first_name,
        profiles.birthday,
        coalesce(timezones.timezone, 'UTC') as timezone
    from profiles
    left join timezones
        on profiles.contact_id = timezones.contact_id

),

occurrences as (

    {{ nudge.yearly_local_occurrences('contacts', 'birthday', 'timezone', var('trigger_yearly_local_hour'), 1) }}

)

select
    contact_id,
    'birthday' as trigger_key,
    cast(occurrence_year as {{ dbt.type_string() }}) as series_id,
    anchor_at,
    cast(null as {{ dbt.type_timestamp() }}) as cancelled_at,
    cast(null as {{ dbt.type_string() }}) as cancel_reason,
    cast(null as {{ dbt.type_string() }}) as reentry_key,
    {{ nudge.json_object_text([
        ('first_name', 'first_name', 'string'),
        ('birthday_date', dbt.cast('occurrence_date', dbt.type_string()), 'string'),
        ('timezone', 'timezone', 'string'),
    ]) }} as payload
from occurrences
