{#-
    Row outcome helpers shared by the stg_<table>__checked models.
    Copies of one key are ranked: a copy passing every check first, then the earliest to
    land, then `tiebreak` (columns making the order total). Rank 1 is kept (or quarantined
    when it fails a check); every other copy is a duplicate. A row whose key is missing
    cannot be deduplicated and is quarantined on its own.
-#}
{% macro dedupe_rank(key_columns, tiebreak) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by case when quarantine_reason is null then 0 else 1 end, {{ tiebreak }}
    )
{%- endmacro %}


{% macro row_outcome(key_columns) -%}
    case
        when {% for c in key_columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %} then 'quarantined'
        when dedupe_rank > 1 then 'duplicate'
        when quarantine_reason is not null then 'quarantined'
        else 'kept'
    end
{%- endmacro %}


{#-
    A hash of a raw row's content: `columns` (raw column names, quoted here) as text, each
    prefixed with its length (null spelled '-'), so two rows hash alike exactly when every
    column is equal. Copies of one key whose content differs from the kept copy's are
    duplicate conflicts (stg_duplicate_conflicts); received_at is left out by the callers,
    since a re-delivery lands later.
-#}
{% macro content_hash(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- set text = dbt.cast(adapter.quote(column), dbt.type_string()) -%}
        {%- do parts.append('coalesce(' ~ dbt.concat([dbt.cast('length(' ~ text ~ ')', dbt.type_string()), "':'", text]) ~ ", '-')") -%}
    {%- endfor -%}
    {{ dbt.hash(nudge.delimited_text(parts)) }}
{%- endmacro %}


{#- The content hash of the kept copy (dedupe_rank 1) of each key, on every copy. -#}
{% macro kept_content_hash(key_columns) -%}
    max(case when dedupe_rank = 1 then content_hash end) over (partition by {{ key_columns | join(', ') }})
{%- endmacro %}


{#- A duplicate (row_outcome's rule) whose content differs from its key's kept copy. -#}
{% macro is_duplicate_conflict(key_columns) -%}
    coalesce(
        {% for c in key_columns %}{{ c }} is not null and {% endfor %}dedupe_rank > 1
        and content_hash <> kept_content_hash,
        false
    )
{%- endmacro %}
