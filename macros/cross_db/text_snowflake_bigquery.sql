{#-
    Snowflake and BigQuery variants of the text and type macros (macros/cross_db/regex.sql,
    type_double.sql, types.sql); tests/test_compile_dialects.py compiles the project for both.
-#}

{#-
    Snowflake's regexp_like anchors the pattern at both ends (the others search), its
    single-quoted literals unescape backslashes (written twice here), and its POSIX regexes
    have no \xHH / \x{HHHH} escapes: those become the string literal's own \xHH / \uHHHH
    escapes, so the regex receives the character itself.
-#}
{% macro snowflake__regexp_like(expr, pattern) -%}
    {%- set re = modules.re -%}
    {%- set doubled = pattern | replace("\\", "\\\\") -%}
    {%- set literal = re.sub('\\\\\\\\x\\{([0-9A-Fa-f]{4})\\}', '\\\\u\\1', doubled) -%}
    {%- set literal = re.sub('\\\\\\\\x([0-9A-Fa-f]{2})', '\\\\x\\1', literal) -%}
    (regexp_instr({{ expr }}, '{{ literal }}') > 0)
{%- endmacro %}


{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}


{#- BigQuery has neither varchar nor double precision. -#}
{% macro bigquery__engine_type(data_type) -%}
    {%- set name = data_type | trim | lower -%}
    {%- if name in ('varchar', 'text', 'character varying') -%}
        {{- return('string') -}}
    {%- elif name in ('double', 'double precision', 'float') -%}
        {{- return('float64') -}}
    {%- else -%}
        {{- return(data_type) -}}
    {%- endif -%}
{%- endmacro %}
