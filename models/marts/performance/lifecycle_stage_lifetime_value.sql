{#-
    Customer lifetime value by lifecycle stage as of `as_of`: one row per stage of
    contact_profiles (subscriber, first_time, repeat, loyal, at_risk, lapsed) with its
    contacts, customers, orders and lifetime revenue net of refunds; the per-stage
    counterpart of segment_lifetime_value, with the same measures.
-#}

{%- set dbl = nudge.type_double() %}

with

aggregated as (

    select
        lifecycle_stage,
        count(*) as members,
        sum(case when coalesce(orders_count, 0) > 0 then 1 else 0 end) as customers,
        sum(coalesce(orders_count, 0)) as orders,
        sum(coalesce(lifetime_revenue, 0)) as lifetime_revenue
    from {{ ref('contact_profiles') }}
    where lifecycle_stage is not null
    group by lifecycle_stage

)

select
    lifecycle_stage,
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
