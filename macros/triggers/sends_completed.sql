{#-
    triggered_sends' post-hook, after an incremental run wrote the sends whose status changed:
    the sends `timed` (int_trigger_sends_timed) no longer has are deleted (a series gone, a
    step dropped), and every row gets the run's as_of, as a full build would give it. Skipped
    under --full-refresh and where the model is built as a table (Spark, BigQuery); after a
    first build (the table exists by the time the hook runs) it runs and finds nothing.
-#}
{% macro triggered_sends_completed(timed) -%}
    {%- if model.config.materialized == 'incremental' and is_incremental() -%}
        delete from {{ this }}
        where send_key not in (select send_key from {{ timed }});

        update {{ this }}
        set as_of = {{ nudge.as_of() }}
        where as_of <> {{ nudge.as_of() }}
    {%- endif -%}
{%- endmacro %}
