{#-
    One row per current member of each segment as of `as_of`: every model tagged `segment`
    (models/marts/segments/definitions/, macros/segments/segment_memberships.sql), unioned.
    Adding a segment is adding its model there plus its depends_on line below: dbt learns
    a model's upstream models while parsing, before the graph the macro reads exists, and
    the build fails naming any segment model missing here.
-#}

-- depends_on: {{ ref('segment_app_users') }}
-- depends_on: {{ ref('segment_cart_abandoners') }}
-- depends_on: {{ ref('segment_category_browser') }}
-- depends_on: {{ ref('segment_coupon_redeemers') }}
-- depends_on: {{ ref('segment_engaged_subscribers') }}
-- depends_on: {{ ref('segment_high_value') }}
-- depends_on: {{ ref('segment_inactive_30d') }}
-- depends_on: {{ ref('segment_lapsed_customers') }}
-- depends_on: {{ ref('segment_likely_to_churn') }}
-- depends_on: {{ ref('segment_new_customers') }}
-- depends_on: {{ ref('segment_opened_not_clicked') }}
-- depends_on: {{ ref('segment_predicted_high_value') }}
-- depends_on: {{ ref('segment_repeat_customers') }}
-- depends_on: {{ ref('segment_rfm') }}
-- depends_on: {{ ref('segment_store_shoppers') }}
-- depends_on: {{ ref('segment_subscribers') }}
-- depends_on: {{ ref('segment_support_seekers') }}
-- depends_on: {{ ref('segment_unengaged_90d') }}
-- depends_on: {{ ref('segment_weekend_buyers') }}

with

segment_rows as (

    {{ nudge.segment_membership_rows() }}

),

members as (

    select
        segment_key,
        contact_id,
        min(segment_model) as segment_model,
        min(segment_reason) as segment_reason
    from segment_rows
    group by segment_key, contact_id

)

select
    {{ dbt.concat(['segment_key', "'|'", 'contact_id']) }} as membership_key,
    segment_key,
    contact_id,
    segment_model,
    segment_reason,
    {{ nudge.as_of() }} as as_of
from members
