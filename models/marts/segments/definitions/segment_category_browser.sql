{#-
    category_browser__<category>: var segment_category_browser_min_views (3) or more product
    views in the category within var segment_category_browser_days (14), and no purchase
    in it in that window. One segment per category: the key is the category lower-cased,
    spaces as underscores.
-#}

with

interest as (

    select * from {{ ref('int_category_interest_aggregated') }}

)

select
    {{ dbt.concat(["'category_browser__'", "replace(lower(trim(category)), ' ', '_')"]) }} as segment_key,
    contact_id,
    category,
    recent_views
from interest
where
    recent_views >= {{ var('segment_category_browser_min_views') }}
    and recent_purchases = 0
