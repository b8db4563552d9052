{#-
    json_object_prepend (macros/triggers/payload.sql) on known payloads, on every engine: the
    empty object, with and without surrounding spaces, a missing payload, an object that
    already starts and ends with its braces (the short path), the same with spaces around it
    (the trimmed path), and a value holding braces. Fails with the cases whose text differs.
-#}

{%- set cases = [
    ('empty', "'{}'", '{"incentive": true}'),
    ('empty_spaced', "'  {}  '", '{"incentive": true}'),
    ('missing', 'null', '{"incentive": true}'),
    ('braced', "'{\"a\": 1}'", '{"incentive": true, "a": 1}'),
    ('spaced', "'  {\"a\": 1} '", '{"incentive": true, "a": 1}'),
    ('brace_in_value', "'{\"a\": \"}\"}'", '{"incentive": true, "a": "}"}'),
] -%}

with

cases as (

    {% for name, payload, expected in cases -%}
        select
            '{{ name }}' as case_name,
            cast({{ payload }} as {{ dbt.type_string() }}) as payload,
            '{{ expected }}' as expected
        {%- if not loop.last %}
            union all
        {% endif -%}
    {%- endfor %}

),

prepended as (

    select
        case_name,
        expected,
        {{ nudge.json_object_prepend('payload', 'incentive', "'true'") }} as actual
    from cases

)

select *
from prepended
where actual <> expected or actual is null
