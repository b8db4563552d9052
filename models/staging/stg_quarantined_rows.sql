{#- One row per quarantined raw row, with the first check it failed and the row as JSON. -#}

with

events as (

    select
        'events' as source_table,
        message_id as row_key,
        quarantine_reason as reason,
        received_at,
        raw_row
    from {{ ref('stg_events__checked') }}
    where row_outcome = 'quarantined'

),

identifies as (

    select
        'identifies' as source_table,
        message_id as row_key,
        quarantine_reason as reason,
        received_at,
        raw_row
    from {{ ref('stg_identifies__checked') }}
    where row_outcome = 'quarantined'

),

product_catalog as (

    select
        'product_catalog' as source_table,
        row_key,
        quarantine_reason as reason,
        updated_at as received_at,
        raw_row
    from {{ ref('stg_product_catalog__checked') }}
    where row_outcome = 'quarantined'

)

select * from events
union all
select * from identifies
union all
select * from product_catalog
