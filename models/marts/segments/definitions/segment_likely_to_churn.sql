{#-
    likely_to_churn: a customer (an order) whose predicted probability of no longer being
    a customer (contact_predictions.churn_probability) is at least var
    segment_likely_to_churn_min_probability (0.7). No member before the first fit.
-#}

with

predictions as (

    select * from {{ ref('contact_predictions') }}

),

profiles as (

    select * from {{ ref('contact_profiles') }}

)

select
    predictions.contact_id,
    predictions.churn_probability,
    profiles.last_order_at
from predictions
inner join profiles
    on predictions.contact_id = profiles.contact_id
where
    profiles.orders_count > 0
    and predictions.churn_probability >= {{ var('segment_likely_to_churn_min_probability') }}
