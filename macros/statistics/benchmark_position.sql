{#- 'below', 'within' or 'above' the range [low, high]; null without a value or a range. -#}
{% macro benchmark_position(value, low, high) -%}
    case
        when {{ value }} is null or {{ low }} is null or {{ high }} is null then null
        when {{ value }} < {{ low }} then 'below'
        when {{ value }} > {{ high }} then 'above'
        else 'within'
    end
{%- endmacro %}
