{#-
    predicted_high_value: predicted 12-month CLV (contact_predictions) in the top var
    segment_predicted_high_value_top_pct (10) percent of the customers scored (contacts
    with an order and a prediction): fewer than that share has a strictly higher CLV, so
    ties at the boundary are all in. The CLV must be positive. No member before the first
    fit.
-#}

with

predictions as (

    select * from {{ ref('contact_predictions') }}

),

profiles as (

    select * from {{ ref('contact_profiles') }}

),

customers as (

    select
        predictions.contact_id,
        predictions.predicted_clv_365d,
        rank() over (order by predictions.predicted_clv_365d desc) as predicted_clv_rank,
        count(*) over () as customers_count
    from predictions
    inner join profiles
        on predictions.contact_id = profiles.contact_id
    where profiles.orders_count > 0

)

select
    contact_id,
    predicted_clv_365d,
    predicted_clv_rank
from customers
where
    predicted_clv_365d > 0
    and (predicted_clv_rank - 1) * 100
    < {{ var('segment_predicted_high_value_top_pct') }} * customers_count
