{#-
    The activation send ledger (docs/contracts/behaviors.md, "Triggers"), one row per
    (send_key, destination_target), typed. Activation creates the table on its first send:
    until then (a fresh warehouse) this is an empty relation with the same columns, so the
    trigger models build; the next run after the table appears reads it.
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
] -%}
{%- set ledger = source('activation', 'send_ledger') -%}
{%- set ledger_exists = execute and load_relation(ledger) is not none -%}

with

source as (

    {% if ledger_exists -%}
        select * from {{ ledger }}
    {%- else -%}
        select
            {% for name, data_type in columns -%}
                cast(null as {{ data_type }}) as {{ name }}{% if not loop.last %},{% endif %}
            {% endfor -%}
        where 1 = 0
    {%- endif %}

),

renamed as (

    select
        {% for name, data_type in columns -%}
            cast({{ name }} as {{ data_type }}) as {{ name }}{% if not loop.last %},{% endif %}
        {% endfor -%}
    from source

)

select * from renamed
