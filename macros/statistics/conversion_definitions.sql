{#-
    The names of the project's two conversion measures, as SQL text literals, so every mart
    that counts conversions says which one it counts (docs/measurement.md):
    - 'attributed': an order credited to an email, the latest email its contact opened or
      clicked within var('attribution_window_days') before the order (int_orders_attributed;
      flow_performance, flow_benchmark_comparison, audience_performance);
    - 'in_window': any order, attributed or not, within
      var('experiment_conversion_window_days') after the unit's first due time
      (int_experiment_units_assigned; experiment_results), the only measure a held-out
      contact, who gets no email to open, can be compared on;
    - 'click': a click on any email of the series (experiment_results).
-#}
{% macro conversion_definition(kind) -%}
    {%- if kind == 'attributed' -%}
        'attributed order: within {{ var("attribution_window_days", 5) }} days after opening or clicking the email'
    {%- elif kind == 'in_window' -%}
        'any order within {{ var("experiment_conversion_window_days", 7) }} days after the due time'
    {%- elif kind == 'click' -%}
        'a click on any email of the series'
    {%- else -%}
        {{ exceptions.raise_compiler_error("conversion_definition: unknown kind " ~ kind) }}
    {%- endif -%}
{%- endmacro %}
