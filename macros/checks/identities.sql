{#-
    Placeholder identities: what trackers send when they have no id ("undefined" from
    JavaScript, "null" / "None" / "nil" / "NaN" from string-formatted nulls, "0" / "-1"
    from integer defaults, "[object Object]" from an object stringified). Such a value is
    no identity: a user_id or anonymous_id equal to one of them (after trimming spaces,
    tabs and line breaks, case-insensitively) is dropped, so it never links a device to a
    customer nor merges the visitors who all sent it. Whitespace-only ids (a tab) are
    dropped the same way. Users extend the list in seeds/placeholder_identities.csv; the
    values below always apply (a CSV cell cannot hold "null" or "n/a": dbt and SQLMesh's
    pandas reader load them as empty).
-#}
{% macro builtin_placeholder_identities() -%}
    {{- return(['', 'null', 'undefined', 'none', 'nil', 'nan', 'n/a', '0', '-1', '[object object]']) -}}
{%- endmacro %}


{#- The comparison key of an id: lower case, without surrounding spaces, tabs and line breaks. -#}
{% macro identity_key(expr) -%}
    lower({{ nudge.trim_whitespace(expr) }})
{%- endmacro %}


{#-
    A query of every placeholder as an identity_key (column `identity`): the built-in
    list and the seed. Joined, not used in `in (select …)`: Spark takes subqueries only in
    filters.
-#}
{% macro placeholder_identities() -%}
    select distinct {{ nudge.identity_key(dbt.cast('identity', dbt.type_string())) }} as identity
    from {{ ref('placeholder_identities') }}
    where identity is not null
    {%- for value in nudge.builtin_placeholder_identities() %}
    {{ nudge.set_union() }}
    select '{{ value }}' as identity
    {%- endfor %}
{%- endmacro %}


{#-
    `column` (a cleaned id) unless it is a placeholder: `placeholder` is the alias of a
    left join of placeholder_identities() on identity_key(column).
-#}
{% macro unless_placeholder(column, placeholder) -%}
    case when {{ placeholder }}.identity is null then {{ column }} end
{%- endmacro %}
