{#-
    anniversary: the date of the contact's first order (in their own time zone) each year
    from the first anniversary on, at var trigger_yearly_local_hour (09:00) local time
    (int_contact_timezones_resolved; UTC when unknown). series_id = the year. A first order
    on Feb 29 is remembered on Feb 28 in non-leap years. Only the latest anniversary at or
    before as_of and the next one are series.
-#}

with

profiles as (

    select
        contact_id,
        first_name,
        first_order_at,
        orders_count
    from {{ ref('contact_profiles') }}
    where first_order_at is not null

),

timezones as (

    select * from {{ ref('int_contact_timezones_resolved') }}

),

contacts as (

    select
        profiles.contact_id,
        profiles.first_name,
        profiles.orders_count,
        coalesce(timezones.timezone, 'UTC') as timezone,
        cast({{ nudge.utc_to_local('profiles.first_order_at', "coalesce(timezones.timezone, 'UTC')") }} as date)
            as first_order_date
    from profiles
    left join timezones
        on profiles.contact_id = timezones.contact_id

),

occurrences as (

    {{ nudge.yearly_local_occurrences('contacts', 'first_order_date', 'timezone', var('trigger_yearly_local_hour'), 1) }}

)

select
    contact_id,
    'anniversary' as trigger_key,
    cast(occurrence_year as {{ dbt.type_string() }}) as series_id,
    anchor_at,
    cast(null as {{ dbt.type_timestamp() }}) as cancelled_at,
    cast(null as {{ dbt.type_string() }}) as cancel_reason,
    cast(null as {{ dbt.type_string() }}) as reentry_key,
    {{ nudge.json_object_text([
        ('first_name', 'first_name', 'string'),
        ('first_order_date', dbt.cast('first_order_date', dbt.type_string()), 'string'),
        ('anniversary_date', dbt.cast('occurrence_date', dbt.type_string()), 'string'),
        ('years', 'years_since', 'number'),
        ('orders_count', 'orders_count', 'number'),
    ]) }} as payload
from occurrences
