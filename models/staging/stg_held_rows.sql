{#-
    One row per raw row held back: landed (received_at; catalog: updated_at) after as_of, so
    not read by this run's checks, and processed by the first run as of an instant at or
    after its landing time (nothing is lost, nothing is early). reason: landed_after_as_of
    within var max_clock_skew_hours of as_of (a replay of the past, a loader slightly ahead),
    received_in_future beyond it (a clock far ahead: the row waits until as_of passes it).
-#}

{%- set tables = [
    ('events', 'received_at', 'message_id', ['message_id', 'event', 'user_id', 'anonymous_id', 'timestamp', 'received_at', 'properties', 'context']),
    ('identifies', 'received_at', 'message_id', ['message_id', 'user_id', 'anonymous_id', 'timestamp', 'received_at', 'traits']),
    ('product_catalog', 'updated_at', none, ['product_id', 'name', 'category', 'price', 'currency', 'stock_quantity', 'image_url', 'url', 'replenishment_days', 'updated_at']),
] %}

with

{% for table, cursor, key, columns in tables %}
    {{ table }} as (

        select
            '{{ table }}' as source_table,
            {% if key -%}
                {{ nudge.clean_text(key) }}
            {%- else -%}
                {{ dbt.concat([nudge.clean_text('product_id'), "'@'", dbt.cast(nudge.safe_timestamp(cursor), dbt.type_string())]) }}
            {%- endif %} as row_key,
            case
                when {{ nudge.safe_timestamp(cursor) }} > {{ dbt.dateadd('hour', var('max_clock_skew_hours'), nudge.as_of()) }}
                    then 'received_in_future'
                else 'landed_after_as_of'
            end as reason,
            {{ nudge.safe_timestamp(cursor) }} as received_at,
            {{ nudge.row_to_json_text(columns) }} as raw_row
        from {{ source('raw', table) }}
        where {{ nudge.safe_timestamp(cursor) }} > {{ nudge.as_of() }}

    ),

{% endfor %}

held as (

    {% for table, cursor, key, columns in tables %}
        select * from {{ table }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from held
