{#-
    contacts.email_address_reconciliation against contact_profiles: the same contacts with
    an address, addresses, shared addresses and non-primary contacts, and exactly one
    primary per address. Returns a row per mismatch.
-#}

with

profiles as (

    select * from {{ ref('contact_profiles') }}
    where email_key is not null

),

per_address as (

    select
        email_key,
        count(*) as contacts,
        sum(case when is_primary_for_email then 1 else 0 end) as primaries,
        min(contacts_sharing_email) as min_sharing,
        max(contacts_sharing_email) as max_sharing
    from profiles
    group by email_key

),

expected as (

    select
        sum(contacts) as contacts_with_email,
        count(*) as addresses,
        sum(case when contacts > 1 then 1 else 0 end) as addresses_shared,
        sum(contacts - primaries) as contacts_not_primary
    from per_address

),

reconciliation as (

    select * from {{ ref('email_address_reconciliation') }}

)

select
    'counts differ from contact_profiles' as failure,
    cast(null as {{ dbt.type_string() }}) as email_key
from reconciliation
cross join expected
where
    reconciliation.contacts_with_email <> coalesce(expected.contacts_with_email, 0)
    or reconciliation.addresses <> expected.addresses
    or reconciliation.addresses_shared <> coalesce(expected.addresses_shared, 0)
    or reconciliation.contacts_not_primary <> coalesce(expected.contacts_not_primary, 0)

union all

select
    'an address without exactly one primary, or with a wrong contacts_sharing_email' as failure,
    email_key
from per_address
where primaries <> 1 or min_sharing <> contacts or max_sharing <> contacts
