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
        'Email Preferences Updated': [],
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
    Numeric properties of the catalog (money and quantities) that a row may not carry as
    anything but a number (invalid_number, checked before the required properties): a
    value that is text, 'NaN', 'Infinity', '12,50' or too large for decimal(18, 2) (1e308)
    quarantines the event instead of reading as a missing amount. Absent or JSON null is
    fine (a required one is then missing_required_property). Order Completed's lines
    (products[].price, products[].quantity) are checked too (order_line_numbers).
-#}
{% macro numeric_properties() -%}
    {{- return({
        'Product Viewed': ['price'],
        'Product Added': ['price', 'quantity'],
        'Product Removed': ['quantity'],
        'Checkout Started': ['value'],
        'Order Completed': ['total', 'revenue', 'discount'],
        'Order Refunded': ['total'],
        'Product Added to Wishlist': ['price'],
    }) -}}
{%- endmacro %}

{% macro order_line_numeric_properties() -%}
    {{- return(['price', 'quantity']) -}}
{%- endmacro %}


{#- True when an event carries a numeric property (numeric_properties) that is no number. -#}
{% macro has_invalid_number(event_name, properties_column) -%}
    case
    {%- for name, props in nudge.numeric_properties().items() %}
        when {{ event_name }} = '{{ name }}' then (
            {%- for prop in props %}
            {{ nudge.is_invalid_number(nudge.json_text(properties_column, prop)) }}{% if not loop.last %} or{% endif %}
            {%- endfor %}
        )
    {%- endfor %}
        else false
    end
{%- endmacro %}


{#-
    A query of the `relation`'s Order Completed rows (by `row_column`, a column unique per
    distinct row) whose first var max_order_lines lines (what int_order_lines_unnested
    reads) carry a price or quantity that is no number: column has_invalid_line_number.
-#}
{% macro order_line_numbers(relation, row_column, properties_column) -%}
    select
        {{ relation }}.{{ row_column }},
        max(case when
            {%- for prop in nudge.order_line_numeric_properties() %}
            {{ nudge.is_invalid_number(nudge.json_array_item_text(relation ~ '.' ~ properties_column, 'products', 'line_indexes.line_index', prop)) }}{% if not loop.last %} or{% endif %}
            {%- endfor %}
            then 1 else 0 end) as has_invalid_line_number
    from {{ relation }}
    inner join ({{ nudge.index_spine(var('max_order_lines')) }}) as line_indexes
        on {{ nudge.json_array_length(relation ~ '.' ~ properties_column, 'products') }} > line_indexes.line_index
    where {{ relation }}.event_name = 'Order Completed'
    group by {{ relation }}.{{ row_column }}
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
