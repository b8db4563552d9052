{#-
    Per contact and product: product views and purchases (order lines) in the 90 days up to
    `as_of`, and the latest of each ever. interest_score = views + purchased lines, 90 days.
    A view: no model reads it (it is for queries), so no run computes it for nothing (~2 CPU
    s a run at 100,000 contacts as a table).
-#}

{{ config(materialized='view') }}

with

views as (

    select * from {{ ref('int_product_views_enriched') }}

),

order_lines as (

    select * from {{ ref('int_order_lines_unnested') }}
    where
        contact_id is not null
        and ordered_at <= {{ nudge.as_of() }}

),

interactions as (

    select
        contact_id,
        product_id,
        category,
        viewed_at as interacted_at,
        1 as is_view,
        0 as is_purchase
    from views
    where product_id is not null
    union all
    select
        contact_id,
        product_id,
        category,
        ordered_at as interacted_at,
        0 as is_view,
        1 as is_purchase
    from order_lines

),

aggregated as (

    select
        contact_id,
        product_id,
        max(category) as category,
        sum(
            case when is_view = 1 and interacted_at > {{ dbt.dateadd('day', -90, nudge.as_of()) }} then 1 else 0 end
        ) as views_90d,
        sum(
            case when is_purchase = 1 and interacted_at > {{ dbt.dateadd('day', -90, nudge.as_of()) }} then 1 else 0 end
        ) as purchases_90d,
        max(case when is_view = 1 then interacted_at end) as last_viewed_at,
        max(case when is_purchase = 1 then interacted_at end) as last_purchased_at
    from interactions
    group by contact_id, product_id

)

select
    contact_id,
    product_id,
    category,
    cast(views_90d as {{ dbt.type_int() }}) as views_90d,
    cast(purchases_90d as {{ dbt.type_int() }}) as purchases_90d,
    cast(views_90d + purchases_90d as {{ dbt.type_int() }}) as interest_score_90d,
    last_viewed_at,
    last_purchased_at
from aggregated
