{#-
    One row per contact (a user_id seen in identify calls or events): who they are, how
    they browse, what they bought, how they engage with email, whether we may email them
    and when (docs/contracts/behaviors.md, "Contact profile").
-#}

with

contacts as (

    select * from {{ ref('int_contact_activity_summarized') }}

),

traits as (

    select * from {{ ref('int_contact_traits_coalesced') }}

),

consent as (

    select * from {{ ref('int_consent_states_derived') }}

),

addresses as (

    select * from {{ ref('int_contact_addresses_resolved') }}

),

address_consent as (

    select * from {{ ref('int_address_consent_states_derived') }}

),

frequency_preferences as (

    select * from {{ ref('int_frequency_preferences_derived') }}

),

orders as (

    select
        contact_id,
        count(*) as orders_count,
        sum(net_total) as lifetime_revenue,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at
    from {{ ref('int_orders_netted') }}
    where contact_id is not null
    group by contact_id

),

sessions as (

    select
        contact_id,
        count(*) as sessions_30d
    from {{ ref('int_sessions_aggregated') }}
    where started_at > {{ dbt.dateadd('day', -30, nudge.as_of()) }}
    group by contact_id

),

product_views as (

    select
        contact_id,
        count(*) as product_views_30d
    from {{ ref('int_product_views_enriched') }}
    where viewed_at > {{ dbt.dateadd('day', -30, nudge.as_of()) }}
    group by contact_id

),

top_categories as (

    select
        contact_id,
        category as top_category
    from {{ ref('int_category_interest_aggregated') }}
    where interest_rank = 1

),

email_engagement as (

    select * from {{ ref('int_email_engagement_summarized') }}

),

send_hours as (

    select * from {{ ref('int_send_hours_preferred') }}

),

joined as (

    select
        contacts.contact_id,
        traits.email,
        coalesce(traits.email_is_invalid, false) as email_is_invalid,
        traits.first_name,
        traits.last_name,
        traits.timezone,
        traits.birthday,
        contacts.signed_up_at,
        contacts.first_seen_at,
        contacts.last_seen_at,
        coalesce(orders.orders_count, 0) as orders_count,
        coalesce(orders.lifetime_revenue, 0) as lifetime_revenue,
        orders.first_order_at,
        orders.last_order_at,
        coalesce(sessions.sessions_30d, 0) as sessions_30d,
        coalesce(product_views.product_views_30d, 0) as product_views_30d,
        top_categories.top_category,
        coalesce(email_engagement.email_delivered_90d, 0) as email_delivered_90d,
        coalesce(email_engagement.email_opens_90d, 0) as email_opens_90d,
        coalesce(email_engagement.email_clicks_90d, 0) as email_clicks_90d,
        email_engagement.last_email_engaged_at,
        coalesce(email_engagement.is_sunset, false) as is_sunset,
        send_hours.preferred_send_hour,
        coalesce(consent.has_consent, false) as has_consent,
        consent.consent_changed_at,
        consent.subscribed_since,
        coalesce(consent.consent_status, 'no_consent') as consent_status,
        addresses.email_key,
        coalesce(addresses.is_primary_for_email, false) as is_primary_for_email,
        addresses.contacts_sharing_email,
        coalesce(address_consent.has_consent, false) as address_has_consent,
        coalesce(address_consent.consent_status, 'no_consent') as address_consent_status,
        coalesce(frequency_preferences.email_frequency, 'all') as email_frequency,
        frequency_preferences.frequency_window_days
    from contacts
    left join traits
        on contacts.contact_id = traits.user_id
    left join addresses
        on contacts.contact_id = addresses.contact_id
    left join address_consent
        on addresses.email_key = address_consent.email_key
    left join frequency_preferences
        on addresses.email_key = frequency_preferences.email_key
    left join orders
        on contacts.contact_id = orders.contact_id
    left join consent
        on contacts.contact_id = consent.contact_id
    left join sessions
        on contacts.contact_id = sessions.contact_id
    left join product_views
        on contacts.contact_id = product_views.contact_id
    left join top_categories
        on contacts.contact_id = top_categories.contact_id
    left join email_engagement
        on contacts.contact_id = email_engagement.contact_id
    left join send_hours
        on contacts.contact_id = send_hours.contact_id

),

derived as (

    select
        *,
        case
            when orders_count > 0 then lifetime_revenue / orders_count
        end as avg_order_value,
        {{ nudge.days_between('last_order_at', nudge.as_of()) }}             as days_since_last_order,
        case
            when orders_count >= 2
                then {{ dbt.dateadd(
                    'day',
                    'round(1.0 * ' ~ nudge.days_between('first_order_at', 'last_order_at') ~ ' / (orders_count - 1), 0)',
                    'last_order_at',
                ) }}
        end as expected_next_order_at,
        {{ nudge.suppression_reason(
            email='email',
            consent_status='consent_status',
            has_consent='has_consent',
            is_sunset='is_sunset',
            address_consent_status='address_consent_status',
            address_has_consent='address_has_consent',
            is_primary_for_email='is_primary_for_email',
        ) }} as suppression_reason
    from joined

),

final as (

    select
        contact_id,
        email,
        email_key,
        is_primary_for_email,
        contacts_sharing_email,
        first_name,
        last_name,
        timezone,
        birthday,
        signed_up_at,
        first_seen_at,
        last_seen_at,
        cast(sessions_30d as {{ dbt.type_int() }}) as sessions_30d,
        cast(product_views_30d as {{ dbt.type_int() }}) as product_views_30d,
        top_category,
        cast(orders_count as {{ dbt.type_int() }}) as orders_count,
        cast(lifetime_revenue as decimal(18, 2)) as lifetime_revenue,
        cast(avg_order_value as decimal(18, 2)) as avg_order_value,
        first_order_at,
        last_order_at,
        cast(days_since_last_order as {{ dbt.type_int() }}) as days_since_last_order,
        expected_next_order_at,
        cast(email_delivered_90d as {{ dbt.type_int() }}) as email_delivered_90d,
        cast(email_opens_90d as {{ dbt.type_int() }}) as email_opens_90d,
        cast(email_clicks_90d as {{ dbt.type_int() }}) as email_clicks_90d,
        last_email_engaged_at,
        has_consent,
        consent_changed_at,
        subscribed_since,
        suppression_reason is not null as is_suppressed,
        suppression_reason,
        cast(email_frequency as {{ dbt.type_string() }}) as email_frequency,
        cast(frequency_window_days as {{ dbt.type_int() }}) as frequency_window_days,
        cast(preferred_send_hour as {{ dbt.type_int() }}) as preferred_send_hour,
        case
            when orders_count = 0 then 'subscriber'
            when days_since_last_order >= {{ var('lifecycle_lapsed_days') }} then 'lapsed'
            when days_since_last_order >= {{ var('lifecycle_at_risk_days') }} then 'at_risk'
            when orders_count >= {{ var('lifecycle_loyal_orders') }} then 'loyal'
            when orders_count >= 2 then 'repeat'
            else 'first_time'
        end as lifecycle_stage
    from derived

)

select * from final
