{#-
    One row per dropped copy whose content differs from the kept copy of its key (same
    message_id, or catalog product_id and updated_at, other values): a conflict, counted
    apart from identical re-deliveries (stg_raw_row_reconciliation.duplicate_conflicts).
    Which copy is kept does not change (macros/checks/dedupe.sql: a copy passing every
    check first, then the earliest to land); both contents' hashes are here, and the
    dropped copy as JSON.
-#}

{%- set tables = [
    ('events', 'message_id', 'received_at', 'stg_events__checked'),
    ('identifies', 'message_id', 'received_at', 'stg_identifies__checked'),
    ('product_catalog', 'row_key', 'updated_at', 'stg_product_catalog__checked'),
] %}

with

{% for table, key, landed_at, checked_model in tables %}
    {{ table }} as (

        select
            '{{ table }}' as source_table,
            {{ key }} as row_key,
            kept_content_hash,
            content_hash as conflicting_content_hash,
            {{ landed_at }} as received_at,
            raw_row
        from {{ ref(checked_model) }}
        where is_duplicate_conflict

    ),

{% endfor %}

conflicts as (

    {% for table, key, landed_at, checked_model in tables %}
        select * from {{ table }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from conflicts
