{#-
    One row per user_id seen in identify calls: the timezone trait when every supported
    engine knows it (seeds/timezone_names.csv, matched case-insensitively and spelled as
    there), else 'UTC'. Local-time logic (preferred send hour, weekend orders) reads this,
    never the raw trait: the engines raise on an unknown zone.
-#}

with

traits as (

    select * from {{ ref('int_contact_traits_coalesced') }}

),

zones as (

    select
        timezone_name,
        lower(timezone_name) as timezone_key
    from {{ ref('timezone_names') }}

)

select
    traits.user_id as contact_id,
    traits.timezone as stated_timezone,
    coalesce(zones.timezone_name, 'UTC') as timezone,
    zones.timezone_name is not null as is_known_timezone
from traits
left join zones
    on lower(trim(traits.timezone)) = zones.timezone_key
