{#-
    Row outcome helpers shared by the stg_<table>__checked models.
    Copies of one key are ranked: a copy passing every check first, then the earliest to
    land, then `tiebreak` (columns making the order total). Rank 1 is kept (or quarantined
    when it fails a check); every other copy is a duplicate. A row whose key is missing
    cannot be deduplicated and is quarantined on its own.
-#}
{% macro dedupe_rank(key_columns, tiebreak) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by case when quarantine_reason is null then 0 else 1 end, {{ tiebreak }}
    )
{%- endmacro %}


{% macro row_outcome(key_columns) -%}
    case
        when {% for c in key_columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %} then 'quarantined'
        when dedupe_rank > 1 then 'duplicate'
        when quarantine_reason is not null then 'quarantined'
        else 'kept'
    end
{%- endmacro %}
