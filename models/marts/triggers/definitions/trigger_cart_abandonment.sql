{#-
    Cart abandonment: one series per cart burst that left items in the cart
    (int_cart_abandonments_detected), anchored at its last cart activity; cancelled by an
    order after it (order_completed), by emptying the cart (cart_emptied) or by more cart
    activity, which starts the next series (cart_updated). The payload lists the cart's
    items with name, price, quantity, image and URL.
-#}

with

abandonments as (

    select * from {{ ref('int_cart_abandonments_detected') }}

)

select
    contact_id,
    'cart_abandonment' as trigger_key,
    {{ dbt.concat(["coalesce(cart_id, 'cart')", "'@'", nudge.timestamp_key('last_activity_at')]) }} as series_id,
    last_activity_at as anchor_at,
    ended_at as cancelled_at,
    end_reason as cancel_reason,
    cast(null as {{ dbt.type_string() }}) as reentry_key,
    {{ nudge.json_object_text([
        ('cart_id', 'cart_id', 'string'),
        ('cart_items', 'cart_items', 'number'),
        ('cart_quantity', 'cart_quantity', 'number'),
        ('cart_value', 'cart_value', 'number'),
        ('last_cart_activity_at', nudge.timestamp_key('last_activity_at'), 'string'),
        ('items', 'cart_items_json', 'json'),
    ]) }} as payload
from abandonments
