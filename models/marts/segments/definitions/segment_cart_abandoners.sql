{#-
    cart_abandoners: an open cart (added, not removed or bought) whose last cart activity is
    over var segment_cart_abandoned_after_minutes (60) old and within
    var segment_cart_abandoned_within_days (7).
-#}

with

carts as (

    select * from {{ ref('int_carts_summarized') }}

)

select
    contact_id,
    cart_id,
    cart_items,
    cart_value,
    last_cart_activity_at
from carts
where
    last_cart_activity_at <= {{ dbt.dateadd('minute', -1 * var('segment_cart_abandoned_after_minutes'), nudge.as_of()) }}
    and last_cart_activity_at > {{ dbt.dateadd('day', -1 * var('segment_cart_abandoned_within_days'), nudge.as_of()) }}
