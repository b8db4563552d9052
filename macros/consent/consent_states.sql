{#-
    Email marketing consent per `key` (docs/contracts/raw_events.md) over `consent_events`
    (a relation or CTE of int_consent_events_parsed's columns plus `key`): the latest event
    wins, except that a spam complaint or hard bounce stays until a later explicit
    Subscribed. One row per key with any consent event:

      consent_status        the deciding event's status; has_consent when 'subscribed'
      consent_changed_at    when the deciding event happened (the current state began)
      first_consented_at    the first grant ever
      subscribed_since      start of the current consent span: the first grant after the
                            latest consent end (after a sticky end, the first explicit
                            Subscribed after it or a grant after that); null without consent

    The same rule decides per contact (int_consent_states_derived) and per email address
    (int_address_consent_states_derived).
-#}
{% macro consent_states(consent_events, key) -%}
    {%- set grant = "consent_status = 'subscribed'" -%}
    {%- set explicit = "event_name = 'Subscribed' and consent_status = 'subscribed'" -%}
    {%- set sticky = "consent_status in ('spam_complaint', 'hard_bounce')" -%}
    {%- set window = 'over (partition by ' ~ key ~ ')' -%}
    select
        {{ key }},
        consent_status,
        consent_status = 'subscribed' as has_consent,
        event_name as consent_event_name,
        message_id as consent_message_id,
        event_at as consent_changed_at,
        first_consented_at,
        case when consent_status = 'subscribed' then subscribed_since end as subscribed_since
    from (
        select
            reopened.*,
            min(
                case
                    when
                        {{ grant }}
                        and seq > coalesce(latest_end_seq, 0)
                        and (latest_sticky_seq is null or seq >= reopened_seq)
                        then event_at
                end
            ) {{ window }} as subscribed_since
        from (
            select
                bounded.*,
                min(case when {{ explicit }} and seq > latest_sticky_seq then seq end) {{ window }} as reopened_seq
            from (
                select
                    sequenced.*,
                    max(seq) {{ window }} as latest_seq,
                    max(case when {{ sticky }} then seq end) {{ window }} as latest_sticky_seq,
                    max(case when {{ explicit }} then seq end) {{ window }} as latest_explicit_seq,
                    max(case when not {{ grant }} then seq end) {{ window }} as latest_end_seq,
                    min(case when {{ grant }} then event_at end) {{ window }} as first_consented_at
                from (
                    select
                        {{ key }},
                        message_id,
                        event_name,
                        event_at,
                        consent_status,
                        row_number() over (
                            partition by {{ key }}
                            order by event_at, received_at, message_id
                        ) as seq
                    from {{ consent_events }}
                ) as sequenced
            ) as bounded
        ) as reopened
    ) as spans
    where
        seq = case
            when latest_sticky_seq is not null and coalesce(latest_explicit_seq, 0) < latest_sticky_seq
                then latest_sticky_seq
            else latest_seq
        end
{%- endmacro %}
