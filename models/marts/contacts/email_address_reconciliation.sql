{#-
    One row: how contacts map to email addresses (int_contact_addresses_resolved). Two
    contacts with one address up to case and spaces are one person, emailed once as the
    address's primary; they are counted here instead of failing the build.
    tests/dbt/assert_email_address_reconciliation_matches_profiles checks it against
    contact_profiles.
-#}

with

addresses as (

    select * from {{ ref('int_contact_addresses_resolved') }}

),

per_address as (

    select
        email_key,
        count(*) as contacts
    from addresses
    group by email_key

)

select
    cast(coalesce(sum(contacts), 0) as {{ dbt.type_int() }}) as contacts_with_email,
    cast(count(*) as {{ dbt.type_int() }}) as addresses,
    cast(coalesce(sum(case when contacts > 1 then 1 else 0 end), 0) as {{ dbt.type_int() }}) as addresses_shared,
    cast(coalesce(sum(contacts - 1), 0) as {{ dbt.type_int() }}) as contacts_not_primary,
    {{ nudge.as_of() }} as as_of
from per_address
