{#-
    For a model incremental per key whose rows keep `settings_fingerprint`, a hash of what
    every row depends on beyond its key's own inputs (vars, the catalog, ...): `since`, or
    none (every key recomputed, and why logged) when a row holds another fingerprint than
    `fingerprint` (an SQL expression) gives now.
-#}
{% macro since_unless_settings_changed(since, fingerprint, reason) -%}
    {%- if since is none or not execute -%}
        {{- return(since) -}}
    {%- endif -%}
    {%- set changed = nudge._first_value(
        'select count(*) from ' ~ this
        ~ ' where settings_fingerprint is null or settings_fingerprint <> ' ~ fingerprint
    ) -%}
    {%- if changed | int > 0 -%}
        {{- return(nudge._recompute_all(reason)) -}}
    {%- endif -%}
    {{- return(since) -}}
{%- endmacro %}


{#- What an order's payload shows of the catalog, as one hash: every product's name, image
    and URL (a price change alone leaves it as it was). A query of one row. -#}
{% macro catalog_display_fingerprint() -%}
    select {{ nudge.fingerprint_agg(nudge.row_fingerprint(['product_id', 'product_name', 'image_url', 'product_url'])) }} as settings_fingerprint
    from {{ ref('int_products_current') }}
{%- endmacro %}
