{#-
    Unengaged / sunset need tenure (docs/contracts/behaviors.md): a contact is not
    unengaged before it has been subscribed for var unengaged_min_tenure_days (its current
    consent span, int_consent_states_derived.subscribed_since), and never without consent.
    int_email_engagement_summarized, int_unengaged_periods_detected and
    segment_unengaged_90d apply it through these macros.
-#}

{#- The instant from which a contact subscribed at `subscribed_since` may be unengaged (null without consent). -#}
{% macro unengaged_tenure_floor(subscribed_since) -%}
    {%- set days = var('unengaged_min_tenure_days') | int -%}
    {%- if days < 0 -%}
        {{ exceptions.raise_compiler_error("dbt var unengaged_min_tenure_days must be 0 or more, got " ~ days) }}
    {%- endif -%}
    {{ dbt.dateadd('day', days, subscribed_since) }}
{%- endmacro %}


{#- `unengaged_at` (the delivery rule's instant) moved up to the tenure floor; null without it or without consent. -#}
{% macro unengaged_after_tenure(unengaged_at, subscribed_since) -%}
    case
        when {{ unengaged_at }} is null or {{ subscribed_since }} is null then null
        when {{ unengaged_at }} > {{ nudge.unengaged_tenure_floor(subscribed_since) }} then {{ unengaged_at }}
        else {{ nudge.unengaged_tenure_floor(subscribed_since) }}
    end
{%- endmacro %}
