{#-
    Incremental processing of the event-level models (docs: README, "Incremental processing").

    Each such model keeps a `processed_as_of` column: the as_of of the run that last wrote the
    row. The newest one is the model's watermark W. A run as of T re-processes every key
    (dedupe key, anonymous_id, message_id or contact_id) that anything landed after `since`
    could have changed, and replaces exactly those keys (strategy `replace_keys`,
    macros/cross_db/incremental_replace_keys.sql). `since` is W − var
    incremental_lookback_hours when rows landed late (their landing time at or before W, yet
    not there at W's run), else W itself: a model reading raw counts the raw rows landed by
    W against its own; one reading other incremental models starts at the earliest landing
    among the rows they wrote since W. Rows landing in the warehouse later than the lookback
    allows are the one thing this misses; the raw row reconciliation test then fails and
    `dbt build --full-refresh` repairs it.
-#}

{#- The model config: incremental where the engine can delete by key, else a table. A model
    with an enforced contract takes strategy delete+insert (its batch has exactly its
    columns) and on_schema_change append_new_columns (dbt's rule for contracts). -#}
{% macro incremental_config(unique_key, strategy='replace_keys', on_schema_change='ignore') -%}
    {{- return(adapter.dispatch('incremental_config', 'nudge')(unique_key, strategy, on_schema_change)) -}}
{%- endmacro %}

{% macro default__incremental_config(unique_key, strategy, on_schema_change) -%}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': strategy,
        'unique_key': unique_key,
        'on_schema_change': on_schema_change,
    }) -}}
{%- endmacro %}

{#-
    Spark without Delta / Iceberg tables has neither delete nor merge, and insert_overwrite
    replaces whole partitions, not the keys a late event touches: rebuild the table each run.
-#}
{% macro spark__incremental_config(unique_key, strategy, on_schema_change) -%}
    {{- return({'materialized': 'table'}) -}}
{%- endmacro %}

{#-
    dbt-bigquery's incremental materialization accepts only its own strategies (merge,
    insert_overwrite, microbatch), not replace_keys: rebuild the table each run, as on Spark.
-#}
{% macro bigquery__incremental_config(unique_key, strategy, on_schema_change) -%}
    {{- return({'materialized': 'table'}) -}}
{%- endmacro %}


{#-
    The instant after which this run re-reads input: W − var incremental_lookback_hours, W the
    newest processed_as_of in this model's table. None means "everything" (a full recompute
    inside the incremental table) when there is nothing to be incremental from: a full build
    (first run, --full-refresh, a table engine), an empty table, a run as of an instant before
    W (replaying the past), `raw` rows older than the window that this table does not hold
    (raw tables replaced, e.g. regenerated, or rows landing later than the lookback), fewer
    `raw` rows landed by W than this table holds (rows removed from raw), or one of `inputs`
    rewritten entirely since W (it was recomputed from scratch), or this table without a
    processed_as_of column (built before the model was incremental: an upgrade).
    raw: (source relation, its landing-time column), for the models reading raw tables.
    rebuilt: incremental inputs without a landing time (keyed by contact), checked only for
    having been rewritten entirely.
-#}
{% macro incremental_since(inputs=[], raw=none, rebuilt=[]) -%}
    {%- if not is_incremental() -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- if 'processed_as_of' not in (adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list) -%}
        {{- return(nudge._recompute_all('it has no processed_as_of column (built before the model was incremental)')) -}}
    {%- endif -%}
    {%- set watermark = nudge.watermark() -%}
    {%- if watermark is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- if watermark > nudge.as_of_instant() -%}
        {{- return(nudge._recompute_all('as_of ' ~ nudge.as_of_instant() ~ ' is before the last run (' ~ watermark ~ ')')) -}}
    {%- endif -%}
    {%- set since = watermark - modules.datetime.timedelta(hours=var('incremental_lookback_hours') | int) -%}
    {%- for input in inputs + rebuilt -%}
        {%- set oldest = nudge._first_value('select min(processed_as_of) from ' ~ input) -%}
        {%- if oldest is not none and oldest > watermark -%}
            {{- return(nudge._recompute_all(input ~ ' was rebuilt since the last run')) -}}
        {%- endif -%}
    {%- endfor -%}
    {%- if raw is not none -%}
        {%- set relation, landed_at = raw -%}
        {#- rows landed before the window must all be held; inside it, raw may hold more (late
            landings, processed by key below) but not fewer: a row deleted from raw is not a
            key anything touched, so only the count shows it -#}
        {%- set counts = 'count(case when {c} <= ' ~ nudge.timestamp_literal(since) ~ ' then 1 end), '
            ~ 'count(case when {c} <= ' ~ nudge.timestamp_literal(watermark) ~ ' then 1 end)' -%}
        {%- set raw_old, raw_by_w = nudge._first_row(
            'select ' ~ counts.replace('{c}', nudge.safe_timestamp(landed_at)) ~ ' from ' ~ relation) -%}
        {%- set held_old, held_by_w = nudge._first_row(
            'select ' ~ counts.replace('{c}', landed_at) ~ ' from ' ~ this) -%}
        {%- if raw_old | int != held_old | int -%}
            {{- return(nudge._recompute_all(relation ~ ' holds ' ~ raw_old ~ ' rows landed by ' ~ since ~ ', this table ' ~ held_old)) -}}
        {%- endif -%}
        {%- if raw_by_w | int < held_by_w | int -%}
            {{- return(nudge._recompute_all(relation ~ ' holds ' ~ raw_by_w ~ ' rows landed by ' ~ watermark ~ ', fewer than this table (' ~ held_by_w ~ '): rows were removed')) -}}
        {%- endif -%}
        {#- nothing landed late into the window since the last run: what it holds was read then -#}
        {%- if raw_by_w | int == held_by_w | int -%}
            {{- return(watermark) -}}
        {%- endif -%}
    {%- endif -%}
    {%- if inputs -%}
        {#- what the inputs wrote since W: nothing they hold changed before the earliest landing among it -#}
        {%- set earliest = [watermark] -%}
        {%- for input in inputs -%}
            {%- set landed = nudge._first_value('select min(received_at) from ' ~ input ~ ' where ' ~ nudge.written_after(watermark)) -%}
            {%- if landed is not none -%}
                {%- do earliest.append(landed.replace(microsecond=0) - modules.datetime.timedelta(seconds=1)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set since = [since, earliest | min] | max -%}
    {%- endif -%}
    {{- return(since) -}}
{%- endmacro %}

{#-
    The condition for an input's rows written after this model's run as of `watermark` (W):
    processed_as_of > W; at a rerun as of W itself, processed_as_of >= W, because the inputs'
    rerun stamps what it writes (rows landed late since, a table rebuilt) with W as the first
    run did. The rerun then re-reads all the first run read, which replacing keys makes
    harmless, instead of missing what landed between the two.
-#}
{% macro written_after(watermark) -%}
    processed_as_of {{ '>=' if watermark == nudge.as_of_instant() else '>' }} {{ nudge.timestamp_literal(watermark) }}
{%- endmacro %}

{#- The as_of of this model's last run (W): its newest processed_as_of; none when empty. -#}
{% macro watermark() -%}
    {{- return(nudge._first_value('select max(processed_as_of) from ' ~ this)) -}}
{%- endmacro %}

{% macro _first_row(sql) -%}
    {{- return(run_query(sql).rows[0]) -}}
{%- endmacro %}

{% macro _first_value(sql) -%}
    {%- set value = run_query(sql).columns[0].values()[0] -%}
    {%- if value is string -%}
        {%- set value = modules.datetime.datetime.fromisoformat(value) -%}
    {%- endif -%}
    {%- if value is not none and value.tzinfo is defined -%}
        {%- set value = value.replace(tzinfo=none) -%}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}

{% macro _recompute_all(reason) -%}
    {%- do log(this ~ ': ' ~ reason ~ '; recomputing every key', info=true) -%}
    {{- return(none) -}}
{%- endmacro %}


{#- A Python datetime as a timestamp literal. -#}
{% macro timestamp_literal(instant) -%}
    {{- return(adapter.dispatch('timestamp_literal', 'nudge')(instant)) -}}
{%- endmacro %}

{% macro default__timestamp_literal(instant) -%}
    cast('{{ instant.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro bigquery__timestamp_literal(instant) -%}
    datetime '{{ instant.strftime("%Y-%m-%d %H:%M:%S") }}'
{%- endmacro %}


{#-
    True for a row whose typed `column` is after `since` (every row when since is none).
    `raw=true` reads an untyped raw column and also keeps rows whose value is missing or
    unreadable (quarantined rows are re-checked every run: they are few).
-#}
{% macro changed_since(column, since, raw=false) -%}
    {%- if since is none -%}
        true
    {%- elif raw -%}
        ({{ nudge.safe_timestamp(column) }} > {{ nudge.timestamp_literal(since) }} or {{ nudge.safe_timestamp(column) }} is null)
    {%- else -%}
        {{ column }} > {{ nudge.timestamp_literal(since) }}
    {%- endif -%}
{%- endmacro %}


{#- In an incremental run, true for rows whose `column` is in the CTE `touched` (a column of that name); always true in a full build. -#}
{% macro is_touched(column, touched='touched') -%}
    {%- if is_incremental() -%}
        {{ column }} in (select {{ column }} from {{ touched }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
