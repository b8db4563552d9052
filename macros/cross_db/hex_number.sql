{#-
    The number written by the first `digits` lowercase hex digits of `hex` (an md5's text),
    so a hash bucket is the same integer on every engine. The default reads each digit with
    plain string functions (every engine has them; `hex` is repeated per digit, which
    engines without common-subexpression elimination compute again); DuckDB and PostgreSQL
    parse the prefix in one cast.
-#}
{% macro hex_prefix_number(hex, digits) -%}
    {{- return(adapter.dispatch('hex_prefix_number', 'nudge')(hex, digits)) -}}
{%- endmacro %}

{% macro default__hex_prefix_number(hex, digits) -%}
    ({% for i in range(digits) -%}
        ({{ dbt.position('substr(' ~ hex ~ ', ' ~ (i + 1) ~ ', 1)', "'0123456789abcdef'") }} - 1) * {{ 16 ** (digits - 1 - i) }}
        {%- if not loop.last %} + {% endif -%}
    {%- endfor %})
{%- endmacro %}

{% macro duckdb__hex_prefix_number(hex, digits) -%}
    cast(('0x' || substr({{ hex }}, 1, {{ digits }})) as bigint)
{%- endmacro %}

{% macro postgres__hex_prefix_number(hex, digits) -%}
    cast(cast(('x' || lpad(substr({{ hex }}, 1, {{ digits }}), 16, '0')) as bit(64)) as bigint)
{%- endmacro %}
