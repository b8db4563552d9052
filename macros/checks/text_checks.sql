{#- A syntactically valid e-mail address (deliberately simple: one @, a dotted domain). -#}
{% macro is_valid_email(expr) -%}
    coalesce({{ nudge.regexp_like(expr, '^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z]{2,}$') }}, false)
{%- endmacro %}


{#-
    True when text carries control characters (other than tab, newline, carriage return) or
    U+FFFD, the replacement character left behind when non-UTF-8 bytes were decoded, either
    raw or as a JSON \uXXXX escape (JSON columns hide them that way). Null is not invalid.
-#}
{% macro has_invalid_text(expr) -%}
    coalesce({{ nudge.regexp_like(expr, nudge.invalid_text_pattern()) }}, false)
{%- endmacro %}


{#- One pattern for both forms, so a value is scanned once. -#}
{% macro invalid_text_pattern() -%}
    {{- return(nudge.invalid_char_pattern() ~ '|\\\\u(000[0-8bBcCeEfF]|001[0-9a-fA-F]|007[fF]|[fF][fF][fF][dD])') -}}
{%- endmacro %}


{#- The regex character class of invalid characters; each engine spells code points its own way. -#}
{% macro invalid_char_pattern() -%}
    {{- return(adapter.dispatch('invalid_char_pattern', 'nudge')()) -}}
{%- endmacro %}

{#- RE2 (DuckDB, BigQuery) and PCRE-style engines -#}
{% macro default__invalid_char_pattern() -%}
    {{- return('[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F\\x{FFFD}]') -}}
{%- endmacro %}

{#- Postgres text cannot hold NUL; its regex dialect writes code points as \uXXXX. -#}
{% macro postgres__invalid_char_pattern() -%}
    {{- return('[\\x01-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F\\uFFFD]') -}}
{%- endmacro %}

{#- Java regex -#}
{% macro spark__invalid_char_pattern() -%}
    {{- return('[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F\\uFFFD]') -}}
{%- endmacro %}


{#- True when any of `exprs` has invalid text. -#}
{% macro any_invalid_text(exprs) -%}
    ({% for e in exprs %}{{ nudge.has_invalid_text(e) }}{% if not loop.last %} or {% endif %}{% endfor %})
{%- endmacro %}


{#- Trimmed text with empty strings as null: how staging reads every raw text column. -#}
{% macro clean_text(expr) -%}
    nullif(trim({{ expr }}), '')
{%- endmacro %}
