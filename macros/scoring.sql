{#-
    A 1..`buckets` score from rank(), ordered worst → best: equal values share a rank and
    so a score; floor(buckets * (rank - 1) / n) + 1 is deterministic on every engine
    (unlike ntile, which splits ties arbitrarily). Use inside a select over the scored set.
-#}
{% macro rank_score(order_by, buckets=5) -%}
    cast(
        floor({{ buckets }} * 1.0 * (rank() over (order by {{ order_by }}) - 1) / count(*) over ())
        + 1
        as {{ dbt.type_int() }}
    )
{%- endmacro %}
