{#-
    Customer lifetime value by segment as of `as_of`: one row per segment with members
    (segment_memberships), their lifetime revenue net of refunds and orders
    (contact_profiles). A contact counts in each of its segments.
-#}

{%- set dbl = nudge.type_double() %}

with

members as (

    select
        memberships.segment_key,
        profiles.contact_id,
        coalesce(profiles.orders_count, 0) as orders_count,
        coalesce(profiles.lifetime_revenue, 0) as lifetime_revenue
    from {{ ref('segment_memberships') }} as memberships
    inner join {{ ref('contact_profiles') }} as profiles
        on memberships.contact_id = profiles.contact_id

),

aggregated as (

    select
        segment_key,
        count(*) as members,
        sum(case when orders_count > 0 then 1 else 0 end) as customers,
        sum(orders_count) as orders,
        sum(lifetime_revenue) as lifetime_revenue
    from members
    group by segment_key

)

select
    segment_key,
    cast(members as {{ dbt.type_int() }}) as members,
    cast(customers as {{ dbt.type_int() }}) as customers,
    cast(orders as {{ dbt.type_int() }}) as orders,
    cast(lifetime_revenue as decimal(18, 2)) as lifetime_revenue,
    cast(cast(lifetime_revenue as {{ dbl }}) / nullif(members, 0) as decimal(18, 2))
        as lifetime_value_per_member,
    cast(cast(lifetime_revenue as {{ dbl }}) / nullif(customers, 0) as decimal(18, 2))
        as lifetime_value_per_customer,
    cast(cast(orders as {{ dbl }}) / nullif(customers, 0) as decimal(18, 2)) as orders_per_customer,
    {{ nudge.as_of() }} as as_of
from aggregated
