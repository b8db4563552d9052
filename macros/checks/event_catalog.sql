{#-
    The event catalog of docs/contracts/raw_events.md, as data for the staging checks.
    Properties marked * in the contract are required; Order Completed's order_id and total
    are checked first with their own reasons (order_missing_id, negative_order_total).
-#}
{% macro event_catalog() -%}
    {{- return({
        'Page Viewed': [],
        'Products Searched': [],
        'Product List Viewed': [],
        'Product Viewed': ['product_id'],
        'Product Added': ['product_id'],
        'Product Removed': ['product_id'],
        'Checkout Started': [],
        'Order Completed': ['order_id', 'total'],
        'Order Refunded': ['order_id'],
        'Coupon Applied': [],
        'Product Added to Wishlist': ['product_id'],
        'Product Reviewed': ['product_id'],
        'Signed Up': [],
        'Subscribed': [],
        'Unsubscribed': [],
        'Content Downloaded': ['content_id'],
        'Ticket Created': ['ticket_id'],
        'Application Opened': [],
        'Email Delivered': [],
        'Email Opened': [],
        'Email Link Clicked': [],
        'Email Bounced': [],
        'Email Marked as Spam': [],
    }) -}}
{%- endmacro %}


{#-
    The catalog spelling of a raw event name, matched case-insensitively after trimming
    surrounding spaces (' unsubscribed ' is 'Unsubscribed'); a name outside the catalog is
    returned trimmed, as received, and an empty one as null.
-#}
{% macro canonical_event_name(expr) -%}
    case lower({{ nudge.clean_text(expr) }})
    {%- for name in nudge.event_catalog() %}
        when '{{ name | lower }}' then '{{ name }}'
    {%- endfor %}
        else {{ nudge.clean_text(expr) }}
    end
{%- endmacro %}


{#- True when `event_name` is in the catalog. -#}
{% macro is_known_event(event_name) -%}
    ({{ event_name }} in ({% for name in nudge.event_catalog() %}'{{ name }}'{% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}


{#-
    True when an event lacks a property the catalog requires. Properties are read as
    text from `properties_column` (valid JSON or null); a required total must be numeric.
-#}
{% macro missing_required_property(event_name, properties_column) -%}
    case
    {%- for name, required in nudge.event_catalog().items() if required %}
        when {{ event_name }} = '{{ name }}' then (
            {%- for prop in required %}
            {% if prop == 'total' -%}
            {{ nudge.json_number(properties_column, prop) }} is null
            {%- else -%}
            {{ nudge.clean_text(nudge.json_text(properties_column, prop)) }} is null
            {%- endif %}{% if not loop.last %} or{% endif %}
            {%- endfor %}
        )
    {%- endfor %}
        else false
    end
{%- endmacro %}


{#-
    The first failing check of an ordered list of (reason, condition) pairs, else null:
    CONTRIBUTING.md fixes the order per raw table.
-#}
{% macro first_failing_check(checks) -%}
    case
    {%- for reason, condition in checks %}
        when {{ condition }} then '{{ reason }}'
    {%- endfor %}
    end
{%- endmacro %}
