{#-
    Deterministic keys and buckets, identical on every engine: md5 of '|'-delimited text
    (md5 gives the same lowercase hex on DuckDB, PostgreSQL, Spark, Snowflake and BigQuery's
    to_hex(md5()) through dbt.hash), and buckets read from that hex with plain string
    functions by default (macros/cross_db/hex_number.sql, where DuckDB and PostgreSQL cast).
-#}

{#- The '|'-joined text of expressions, each cast to text. -#}
{% macro delimited_text(expressions) -%}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- if not loop.first -%}{%- do parts.append("'|'") -%}{%- endif -%}
        {%- do parts.append('cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ ')') -%}
    {%- endfor -%}
    {{- dbt.concat(parts) -}}
{%- endmacro %}


{#-
    A send: md5 of 'contact_id|trigger_key|series_id|step'. The ESP call carries it as its
    idempotency key, so it must never change for the same send (tests/scenarios/harness.py
    recomputes it in Python).
-#}
{% macro trigger_send_key(contact_id, trigger_key, series_id, step) -%}
    {{ dbt.hash(nudge.delimited_text([contact_id, trigger_key, series_id, step])) }}
{%- endmacro %}


{#-
    An integer bucket in [0, buckets) for the '|'-joined expressions: the first six hex
    digits of their md5 as a number (0 … 16^6 − 1), modulo `buckets`. `salt` (a literal)
    keeps independent assignments (holdout, variant) uncorrelated.
-#}
{% macro hash_bucket(salt, expressions, buckets=100) -%}
    {%- set hex = dbt.hash(nudge.delimited_text(["'" ~ salt ~ "'"] + expressions)) -%}
    ({{ nudge.hex_prefix_number(hex, 6) }} % {{ buckets }})
{%- endmacro %}
