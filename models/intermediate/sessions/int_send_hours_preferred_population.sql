{#-
    One row (none without any signal): the population's preferred local send hour, the
    fallback of send-time optimization (triggered_sends) for contacts without their own. Each
    contact of int_send_hours_preferred votes once for its own hour, so a few heavy openers
    do not outweigh everyone else; only contacts with email engagement vote while there are
    any (opens and clicks say when email is read; site activity only when someone is
    around). Ties: the earlier hour.
-#}

with

contact_hours as (

    select
        preferred_send_hour,
        case when send_hour_basis = 'email_engagement' then 1 else 2 end as basis_rank
    from {{ ref('int_send_hours_preferred') }}

),

best_basis as (

    select min(basis_rank) as basis_rank
    from contact_hours

),

votes as (

    select
        contact_hours.basis_rank,
        contact_hours.preferred_send_hour,
        count(*) as contacts
    from contact_hours
    inner join best_basis
        on contact_hours.basis_rank = best_basis.basis_rank
    group by contact_hours.basis_rank, contact_hours.preferred_send_hour

),

ranked as (

    select
        *,
        row_number() over (order by contacts desc, preferred_send_hour asc) as hour_rank
    from votes

)

select
    cast(preferred_send_hour as {{ dbt.type_int() }}) as population_send_hour,
    case when basis_rank = 1 then 'email_engagement' else 'site_activity' end as send_hour_basis,
    cast(contacts as {{ dbt.type_int() }}) as contacts
from ranked
where hour_rank = 1
