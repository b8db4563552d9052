{#-
    Email preferences (docs/contracts/raw_events.md, "Email preferences"): the frequencies a
    person can choose, each with the most marketing emails it allows in a window of days
    (null: the project's own caps).
-#}
{% macro email_frequencies() -%}
    {{- return({'all': none, 'weekly': 7, 'monthly': 30}) -}}
{%- endmacro %}


{#- The frequency names as a SQL list: 'all', 'weekly', 'monthly'. -#}
{% macro email_frequency_names() -%}
    '{{ nudge.email_frequencies().keys() | join("', '") }}'
{%- endmacro %}


{#- An Email Preferences Updated property read as a lower-case, trimmed text. -#}
{% macro preference_text(properties_column, prop) -%}
    lower({{ nudge.clean_text(nudge.json_text(properties_column, prop)) }})
{%- endmacro %}


{#-
    True when an Email Preferences Updated event says nothing usable: neither a topic with
    a true/false `subscribed` nor a known frequency (invalid_preference).
-#}
{% macro is_invalid_preference(event_name, properties_column) -%}
    (
        {{ event_name }} = 'Email Preferences Updated'
        and not (
            {{ nudge.preference_text(properties_column, 'topic') }} is not null
            and coalesce({{ nudge.preference_text(properties_column, 'subscribed') }}, '') in ('true', 'false')
        )
        and coalesce({{ nudge.preference_text(properties_column, 'frequency') }}, '')
        not in ({{ nudge.email_frequency_names() }})
    )
{%- endmacro %}


{#- The days the frequency in `email_frequency` allows one email in; null for 'all'. -#}
{% macro frequency_window_days(email_frequency) -%}
    case {{ email_frequency }}
    {%- for name, days in nudge.email_frequencies().items() if days %}
        when '{{ name }}' then {{ days }}
    {%- endfor %}
    end
{%- endmacro %}
