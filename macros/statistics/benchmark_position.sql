{#-
    'below', 'within' or 'above' the range [low, high]; 'too_few_sends' when fewer than
    var('benchmark_min_delivered') emails were delivered; null without a value or a range.
-#}
{% macro benchmark_position(value, low, high, delivered) -%}
    case
        when {{ value }} is null or {{ low }} is null or {{ high }} is null then null
        when {{ delivered }} < {{ var('benchmark_min_delivered') }} then 'too_few_sends'
        when {{ value }} < {{ low }} then 'below'
        when {{ value }} > {{ high }} then 'above'
        else 'within'
    end
{%- endmacro %}
