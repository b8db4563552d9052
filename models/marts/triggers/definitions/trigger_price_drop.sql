{#-
    price_drop: a catalog change that lowers a product's price to at least var
    trigger_price_drop_min_pct (10) percent below the price a contact saw when they last
    viewed or wishlisted it in the var trigger_price_drop_sighting_days (30) days before the
    change; cancelled ('price_restored') by a later catalog row priced above that threshold
    again. The series are found per product in int_price_drops_qualified.
    A view, unlike the other trigger models: it selects that incremental table's rows as they
    are, so each reader scans the same rows a table would hold, and no run copies all of them
    (518k rows, 134 MB of payload text at 100,000 contacts: ~1.9 CPU s a run).
-#}

{{ config(materialized='view') }}

select
    contact_id,
    trigger_key,
    series_id,
    anchor_at,
    cancelled_at,
    cancel_reason,
    reentry_key,
    payload
from {{ ref('int_price_drops_qualified') }}
where contact_id is not null
