{#-
    Why a comparison's numbers should not be read as a result yet, or null:
    'empty_arm' when a group has no unit (nothing to compare), 'too_few_units' when a group
    has fewer than var('experiment_min_units_per_arm') units (default 100: there a single
    unit moves its rate by a point or more, and the interval is wide).
-#}
{% macro experiment_sample_warning(n_c, n_t) -%}
    case
        when {{ n_c }} = 0 or {{ n_t }} = 0 then 'empty_arm'
        when {{ n_c }} < {{ var('experiment_min_units_per_arm', 100) }}
            or {{ n_t }} < {{ var('experiment_min_units_per_arm', 100) }}
            then 'too_few_units'
    end
{%- endmacro %}


{#-
    'too_few_delivered' when fewer than var('benchmark_min_delivered') emails were delivered
    (the threshold under which flow_benchmark_comparison does not judge a flow), else null.
-#}
{% macro delivered_sample_warning(delivered) -%}
    case
        when {{ delivered }} < {{ var('benchmark_min_delivered') }} then 'too_few_delivered'
    end
{%- endmacro %}
