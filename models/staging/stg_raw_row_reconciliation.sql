{#-
    Per raw table: rows read (every row of the source, counted straight from it) against
    rows kept, duplicates dropped, rows quarantined and rows held (landed after as_of:
    stg_held_rows). tests/dbt/assert_raw_rows_reconcile fails the build when
    read <> kept + duplicates + quarantined + held. Also counted, within those: duplicates
    whose content differs from the kept copy (duplicate_conflicts, stg_duplicate_conflicts),
    kept rows that carried a placeholder id next to a real one (placeholder_ids_dropped),
    kept identifies whose birthday or created_at trait was dropped as implausible
    (invalid_trait_dates), and kept events with an unknown name or a catalog name spelled
    otherwise.
-#}

{%- set tables = [
    ('events', 'stg_events', 'stg_events__checked'),
    ('identifies', 'stg_identifies', 'stg_identifies__checked'),
    ('product_catalog', 'stg_product_catalog', 'stg_product_catalog__checked'),
] %}

with

{% for table, kept_model, checked_model in tables %}
    {{ table }}_read as (

        select count(*) as rows_read
        from {{ source('raw', table) }}

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

    {{ table }}_checked as (

        select
            sum(case when row_outcome = 'duplicate' then 1 else 0 end) as duplicates,
            {% if table != 'product_catalog' -%}
                sum(case when row_outcome = 'kept' and has_placeholder_identity then 1 else 0 end)
            {%- else -%}
                0
            {%- endif %} as placeholder_ids_dropped,
            {% if table == 'identifies' -%}
                sum(case when row_outcome = 'kept' and (birthday_is_invalid or created_at_is_invalid) then 1 else 0 end)
            {%- else -%}
                0
            {%- endif %} as invalid_trait_dates
        from {{ ref(checked_model) }}

    ),

    {{ table }}_conflicts as (

        select count(*) as duplicate_conflicts
        from {{ ref('stg_duplicate_conflicts') }}
        where source_table = '{{ table }}'

    ),

    {{ table }}_quarantined as (

        select count(*) as quarantined
        from {{ ref('stg_quarantined_rows') }}
        where source_table = '{{ table }}'

    ),

    {{ table }}_held as (

        select count(*) as held
        from {{ ref('stg_held_rows') }}
        where source_table = '{{ table }}'

    ),

{% endfor %}

reconciled as (

    {% for table, kept_model, checked_model in tables %}
        select
            '{{ table }}' as source_table,
            {{ table }}_read.rows_read,
            {{ table }}_kept.rows_kept,
            coalesce({{ table }}_checked.duplicates, 0) as duplicates,
            {{ table }}_quarantined.quarantined,
            {{ table }}_held.held,
            {{ table }}_conflicts.duplicate_conflicts,
            coalesce({{ table }}_checked.placeholder_ids_dropped, 0) as placeholder_ids_dropped,
            coalesce({{ table }}_checked.invalid_trait_dates, 0) as invalid_trait_dates,
            coalesce({{ table }}_kept.unknown_event_names, 0) as unknown_event_names,
            coalesce({{ table }}_kept.event_name_variants, 0) as event_name_variants
        from {{ table }}_read
        cross join {{ table }}_kept
        cross join {{ table }}_checked
        cross join {{ table }}_conflicts
        cross join {{ table }}_quarantined
        cross join {{ table }}_held
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from reconciled
