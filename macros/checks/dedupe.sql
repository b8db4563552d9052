{#-
    Row outcome helpers shared by the stg_<table>__checked models.
    Copies of one key are ranked: a copy passing every check first, then the earliest to
    land, then `tiebreak` (columns making the order total). Rank 1 is kept (or quarantined
    when it fails a check); every other copy is a duplicate. A row whose key is missing
    cannot be deduplicated and is quarantined on its own.
-#}
{% macro dedupe_rank(key_columns, tiebreak) -%}
    row_number() over ({{ nudge.dedupe_window(key_columns, tiebreak) }})
{%- endmacro %}


{#- The window both dedupe_rank and kept_content_hash use (one sort on engines that share it). -#}
{% macro dedupe_window(key_columns, tiebreak) -%}
    partition by {{ key_columns | join(', ') }}
    order by case when quarantine_reason is null then 0 else 1 end, {{ tiebreak }}
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
        {%- do parts.append(nudge.length_prefixed_text(adapter.quote(column))) -%}
    {%- endfor -%}
    {{ dbt.hash(nudge.delimited_text(parts)) }}
{%- endmacro %}


{#- `expr` as text prefixed with its length ('3:abc'), '-' when null: parts of a hash input that cannot run into each other. -#}
{% macro length_prefixed_text(expr) -%}
    {%- set text = dbt.cast(expr, dbt.type_string()) -%}
    coalesce({{ dbt.concat([dbt.cast('length(' ~ text ~ ')', dbt.type_string()), "':'", text]) }}, '-')
{%- endmacro %}


{#- `raw` where cleaning changed it, else null: enough to rebuild the raw value beside the cleaned one. -#}
{% macro unless_equal(raw, cleaned) -%}
    case when {{ raw }} = {{ cleaned }} then null else {{ raw }} end
{%- endmacro %}


{#- The content hash of the kept copy (dedupe_rank 1) of each key, on every copy. -#}
{% macro kept_content_hash(key_columns, tiebreak) -%}
    first_value(content_hash) over ({{ nudge.dedupe_window(key_columns, tiebreak) }})
{%- endmacro %}


{#- A duplicate (row_outcome's rule) whose content differs from its key's kept copy. -#}
{% macro is_duplicate_conflict(key_columns) -%}
    coalesce(
        {% for c in key_columns %}{{ c }} is not null and {% endfor %}dedupe_rank > 1
        and content_hash <> kept_content_hash,
        false
    )
{%- endmacro %}


{#-
    A raw event row's identity (stg_events__checked's row_key): equal exactly when every raw
    column is equal. Its parts are expressions, so it can be computed from the cleaned
    columns or again from the raw ones.
-#}
{% macro event_row_key(content_hash, raw_message_id, message_id, raw_received_at) -%}
    {{ dbt.hash(nudge.delimited_text([
        content_hash,
        nudge.length_prefixed_text(raw_message_id),
        nudge.length_prefixed_text(message_id),
        nudge.length_prefixed_text(raw_received_at),
    ])) }}
{%- endmacro %}


{#-
    In an incremental run of a stg_<table>__checked model: true when a raw row landed since
    `since` carries a message_id that a row landed before it, already in this model's table,
    carries too. Only then must the run re-read those older copies (their dedupe rank and
    outcome change), which takes cleaning the message_id of every raw row; this asks the
    model's own typed column instead.
-#}
{% macro older_copies_landed(raw_relation, since) -%}
    {%- set landed -%}
        select {{ nudge.clean_text('message_id') }} as message_id from {{ raw_relation }}
        where
            {{ nudge.changed_since('received_at', since, raw=true) }}
            and {{ nudge.landed_by_as_of('received_at') }}
    {%- endset -%}
    {%- set sql -%}
        select count(*) from {{ this }}
        where
            received_at <= {{ nudge.timestamp_literal(since) }}
            and {{ nudge.keys_listed('message_id', landed) }}
    {%- endset -%}
    {%- set older_copies = nudge._first_value(sql) | int -%}
    {%- if older_copies > 0 -%}
        {%- do log(this ~ ': ' ~ older_copies ~ ' older copies of message_ids landed again since ' ~ since ~ '; re-reading them', info=true) -%}
    {%- endif -%}
    {{- return(older_copies > 0) -}}
{%- endmacro %}
