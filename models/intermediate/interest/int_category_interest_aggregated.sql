{#-
    Per contact and category: product views and purchased order lines in the 90 days up to
    `as_of` (interest_score_90d = views + purchases) and in the category-browser window
    (var segment_category_browser_days). interest_rank 1 is the contact's top category:
    highest score, then the latest interaction, then the category name.
-#}

{%- set browse_days = var('segment_category_browser_days') %}

with

views as (

    select
        contact_id,
        category,
        viewed_at as interacted_at,
        1 as is_view,
        0 as is_purchase
    from {{ ref('int_product_views_enriched') }}
    where
        category is not null
        and viewed_at > {{ dbt.dateadd('day', -90, nudge.as_of()) }}

),

purchases as (

    select
        contact_id,
        category,
        ordered_at as interacted_at,
        0 as is_view,
        1 as is_purchase
    from {{ ref('int_order_lines_unnested') }}
    where
        contact_id is not null
        and category is not null
        and ordered_at > {{ dbt.dateadd('day', -90, nudge.as_of()) }}
        and ordered_at <= {{ nudge.as_of() }}

),

interactions as (

    select * from views
    union all
    select * from purchases

),

aggregated as (

    select
        contact_id,
        category,
        sum(is_view) as views_90d,
        sum(is_purchase) as purchases_90d,
        sum(
            case when is_view = 1 and interacted_at > {{ dbt.dateadd('day', -1 * browse_days, nudge.as_of()) }} then 1 else 0 end
        ) as recent_views,
        sum(
            case when is_purchase = 1 and interacted_at > {{ dbt.dateadd('day', -1 * browse_days, nudge.as_of()) }} then 1 else 0 end
        ) as recent_purchases,
        max(interacted_at) as last_interacted_at
    from interactions
    group by contact_id, category

)

select
    contact_id,
    category,
    cast(views_90d as {{ dbt.type_int() }}) as views_90d,
    cast(purchases_90d as {{ dbt.type_int() }}) as purchases_90d,
    cast(views_90d + purchases_90d as {{ dbt.type_int() }}) as interest_score_90d,
    cast(recent_views as {{ dbt.type_int() }}) as recent_views,
    cast(recent_purchases as {{ dbt.type_int() }}) as recent_purchases,
    last_interacted_at,
    cast(
        row_number() over (
            partition by contact_id
            order by views_90d + purchases_90d desc, last_interacted_at desc, category asc
        ) as {{ dbt.type_int() }}
    ) as interest_rank
from aggregated
