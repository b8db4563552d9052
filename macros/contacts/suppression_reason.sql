{#-
    Why a contact must not be emailed, the first that applies, else null
    (contact_profiles.suppression_reason, docs/contracts/behaviors.md):

      invalid_email        no valid address
      unsubscribed, hard_bounce, spam_complaint
                           the contact's consent state, then its address's (the consent events
                           of every contact sharing the address, int_address_consent_states_derived)
      no_consent           no consent, the contact's own or its address's
      duplicate_address    another contact with the same address is the one emailed for it
                           (int_contact_addresses_resolved)
      sunset               unengaged for var sunset_grace_days (int_email_engagement_summarized)

    Without the address arguments only the contact's own reasons apply: that is what
    int_contact_addresses_resolved asks when choosing which contact an address is emailed as.
-#}
{% macro suppression_reason(
    email,
    consent_status,
    has_consent,
    is_sunset,
    address_consent_status=none,
    address_has_consent=none,
    is_primary_for_email=none
) -%}
    {%- set ends = "('unsubscribed', 'hard_bounce', 'spam_complaint')" -%}
    case
        when {{ email }} is null then 'invalid_email'
        when {{ consent_status }} in {{ ends }} then {{ consent_status }}
        {%- if address_consent_status is not none %}
        when {{ address_consent_status }} in {{ ends }} then {{ address_consent_status }}
        {%- endif %}
        when not {{ has_consent }} then 'no_consent'
        {%- if address_has_consent is not none %}
        when not {{ address_has_consent }} then 'no_consent'
        {%- endif %}
        {%- if is_primary_for_email is not none %}
        when not {{ is_primary_for_email }} then 'duplicate_address'
        {%- endif %}
        when {{ is_sunset }} then 'sunset'
    end
{%- endmacro %}
