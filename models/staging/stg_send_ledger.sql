{#-
    The activation send ledger (docs/contracts/behaviors.md, "Triggers"), one row per
    (send_key, destination_target), typed. Activation creates the table on its first send:
    until then (a fresh warehouse) this is an empty relation with the same columns, so the
    trigger models build; the next run after the table appears reads it. Columns a newer
    activation added (the send-time gate's due_at, deferred_until, expires_at, timezone)
    are read when the table has them and null when it does not (a ledger written by an
    older Nudge, or by hand): nudge.optional_source.
-#}

{%- set columns = [
    ('send_key', dbt.type_string()),
    ('destination_target', dbt.type_string()),
    ('contact_id', dbt.type_string()),
    ('trigger_key', dbt.type_string()),
    ('step', dbt.type_int()),
    ('series_id', dbt.type_string()),
    ('variant', dbt.type_string()),
    ('status', dbt.type_string()),
    ('status_reason', dbt.type_string()),
    ('attempts', dbt.type_int()),
    ('last_error', dbt.type_string()),
    ('created_at', dbt.type_timestamp()),
    ('sent_at', dbt.type_timestamp()),
    ('updated_at', dbt.type_timestamp()),
    ('due_at', dbt.type_timestamp()),
    ('deferred_until', dbt.type_timestamp()),
    ('expires_at', dbt.type_timestamp()),
    ('timezone', dbt.type_string()),
] -%}

with

source as (

    {{ nudge.optional_source(source('activation', 'send_ledger'), columns) }}

)

select * from source
