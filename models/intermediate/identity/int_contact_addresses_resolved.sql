{#-
    One row per contact with a valid email: its address (email_key, the email lower-cased
    and trimmed), how many contacts share it, and which of them is the address's primary,
    the one contact emailed for it: one person never gets two sends because two contact ids
    (say a guest checkout and an account) share an address. The primary is chosen among the
    contacts sharing the address: first those that may be emailed on their own (no reason
    of nudge.suppression_reason from their own consent and engagement), then the earliest
    first_seen_at, then contact_id. contact_profiles suppresses the others
    ('duplicate_address').
-#}

with

traits as (

    select
        user_id as contact_id,
        email
    from {{ ref('int_contact_traits_coalesced') }}
    where email is not null

),

activity as (

    select * from {{ ref('int_contact_activity_summarized') }}

),

consent as (

    select * from {{ ref('int_consent_states_derived') }}

),

engagement as (

    select * from {{ ref('int_email_engagement_summarized') }}

),

candidates as (

    select
        traits.contact_id,
        lower(trim(traits.email)) as email_key,
        activity.first_seen_at,
        {{ nudge.suppression_reason(
            email='traits.email',
            consent_status="coalesce(consent.consent_status, 'no_consent')",
            has_consent='coalesce(consent.has_consent, false)',
            is_sunset='coalesce(engagement.is_sunset, false)',
        ) }} is null as may_be_emailed_alone
    from traits
    left join activity
        on traits.contact_id = activity.contact_id
    left join consent
        on traits.contact_id = consent.contact_id
    left join engagement
        on traits.contact_id = engagement.contact_id

),

ranked as (

    select
        *,
        count(*) over (partition by email_key) as contacts_sharing_email,
        row_number() over (
            partition by email_key
            order by
                case when may_be_emailed_alone then 0 else 1 end,
                case when first_seen_at is null then 1 else 0 end,
                first_seen_at,
                contact_id
        ) as address_rank
    from candidates

)

select
    contact_id,
    email_key,
    cast(contacts_sharing_email as {{ dbt.type_int() }}) as contacts_sharing_email,
    address_rank = 1 as is_primary_for_email,
    max(case when address_rank = 1 then contact_id end) over (partition by email_key) as primary_contact_id,
    may_be_emailed_alone
from ranked
