{#-
    The latest fit's predictions per contact (int_contact_predictions_typed: fitted by
    `nudge predict` or the Dagster asset predictions/contact_predictions,
    docs/predictions.md), for the contacts the warehouse knows as of as_of: a contact erased
    or merged since the fit has no row. Only a fit whose history ends by as_of is read: a
    replay as of an earlier instant must not see a fit that knew later orders. Empty until
    the first fit.
-#}

with

predictions as (

    select * from {{ ref('int_contact_predictions_typed') }}
    where observed_until <= {{ nudge.as_of() }}

),

profiles as (

    select contact_id from {{ ref('contact_profiles') }}

)

select
    predictions.contact_id,
    predictions.churn_probability,
    predictions.expected_orders_90d,
    predictions.expected_order_value,
    predictions.predicted_clv_365d,
    predictions.observed_until,
    predictions.fitted_at
from predictions
inner join profiles
    on predictions.contact_id = profiles.contact_id
