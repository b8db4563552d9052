{#-
    Per raw table: rows read (counted straight from the source, as_of applied) against
    rows kept, duplicates dropped and rows quarantined. tests/dbt/assert_raw_rows_reconcile
    fails the build when read <> kept + duplicates + quarantined.
-#}

{%- set tables = [
    ('events', 'received_at', 'stg_events', 'stg_events__checked'),
    ('identifies', 'received_at', 'stg_identifies', 'stg_identifies__checked'),
    ('product_catalog', 'updated_at', 'stg_product_catalog', 'stg_product_catalog__checked'),
] %}

with

{% for table, cursor, kept_model, checked_model in tables %}
    {{ table }}_read as (

        select count(*) as rows_read
        from {{ source('raw', table) }}
        where
            {{ nudge.safe_timestamp(cursor) }} <= {{ nudge.as_of() }}
            or {{ nudge.safe_timestamp(cursor) }} is null

    ),

    {{ table }}_kept as (

        select
            count(*) as rows_kept,
            {% if table == 'events' -%}
                sum(case when is_known_event then 0 else 1 end)
            {%- else -%}
                0
            {%- endif %} as unknown_event_names,
            {% if table == 'events' -%}
                sum(case when is_event_name_variant then 1 else 0 end)
            {%- else -%}
                0
            {%- endif %} as event_name_variants
        from {{ ref(kept_model) }}

    ),

    {{ table }}_duplicates as (

        select count(*) as duplicates
        from {{ ref(checked_model) }}
        where row_outcome = 'duplicate'

    ),

    {{ table }}_quarantined as (

        select count(*) as quarantined
        from {{ ref('stg_quarantined_rows') }}
        where source_table = '{{ table }}'

    ),

{% endfor %}

reconciled as (

    {% for table, cursor, kept_model, checked_model in tables %}
        select
            '{{ table }}' as source_table,
            {{ table }}_read.rows_read,
            {{ table }}_kept.rows_kept,
            {{ table }}_duplicates.duplicates,
            {{ table }}_quarantined.quarantined,
            coalesce({{ table }}_kept.unknown_event_names, 0) as unknown_event_names,
            coalesce({{ table }}_kept.event_name_variants, 0) as event_name_variants
        from {{ table }}_read
        cross join {{ table }}_kept
        cross join {{ table }}_duplicates
        cross join {{ table }}_quarantined
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from reconciled
