{#-
    Lower bounds of plausible dates (dbt vars; docs/contracts/raw_events.md, "Bad input").
    An event, identify or catalog row stamped before earliest_event_at is quarantined
    (before_earliest_date): epoch zero, 1900-01-01 and year 1 are what broken clocks and
    unset fields produce, and such rows would make first orders a century old. A birthday
    trait before earliest_birthday (1900-01-01 and 0001-01-01 are forms' "unknown") is
    dropped from the kept identify, as is one after the identify call itself.
-#}
{% macro earliest_event_at() -%}
    cast('{{ var("earliest_event_at") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro earliest_birthday() -%}
    cast('{{ var("earliest_birthday") }}' as date)
{%- endmacro %}
