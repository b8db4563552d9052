{#-
    The predictions table (source predictions.contact_predictions, written by `nudge
    predict` or the Dagster asset predictions/contact_predictions, docs/predictions.md),
    typed. Until the first fit (a fresh warehouse) the table does not exist and this is an
    empty relation with the same columns (nudge.optional_source), so everything downstream
    builds and reads no prediction.

    It reads a source, as staging models do, but sits here (Dagster group `contacts`): the
    predictions asset reads int_orders_netted, so the model reading its table must come
    after the intermediate models, not in staging before them.
-#}

{{ config(materialized='view') }}

{%- set columns = [
    ('contact_id', dbt.type_string()),
    ('churn_probability', 'decimal(18, 6)'),
    ('expected_orders_90d', 'decimal(18, 6)'),
    ('expected_order_value', 'decimal(18, 6)'),
    ('predicted_clv_365d', 'decimal(18, 6)'),
    ('observed_until', dbt.type_timestamp()),
    ('fitted_at', dbt.type_timestamp()),
] -%}

with

source as (

    {{ nudge.optional_source(source('predictions', 'contact_predictions'), columns) }}

),

renamed as (

    select * from source
    where contact_id is not null

)

select * from renamed
