{#-
    The series of a trigger that emails when a contact enters (or leaves) one segment, so
    that an email a marketer wants on "Entered segment: <key>" goes through the guardrails,
    the holdout and the ledger like every trigger instead of starting from the raw segment
    event in the ESP. A trigger model is then one line:

        {{ nudge.segment_move_series('rfm_at_risk', 'entered') }}

    One series per move in segment_transitions up to as_of: series_id = its transition_key,
    anchored at the move, reentry_key '' (catalog reentry_days per contact). The opposite
    move before a step leaves cancels it ('left_segment' / 'rejoined_segment'): a contact
    who orders the day they turn at-risk gets no at-risk email.

    The segment's first recorded moves are left out: the build that first sees a segment
    records every member as entering at once, which is where the segment started, not a
    move (sync_segment_events leaves them out for the same reason). Counted per segment, so
    a segment added later does not email all its members either; when in doubt, no email.
-#}

{% macro segment_move_series(segment_key, transition) -%}
    {%- if transition not in ('entered', 'exited') -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": segment_move_series transition must be 'entered' or 'exited', got '"
            ~ transition ~ "'"
        ) }}
    {%- endif -%}
    {%- set opposite = 'exited' if transition == 'entered' else 'entered' -%}
    {%- set cancel_reason = 'left_segment' if transition == 'entered' else 'rejoined_segment' %}

with

transitions as (

    select
        transition_key,
        contact_id,
        transition,
        transitioned_at
    from {{ ref('segment_transitions') }}
    where
        segment_key = '{{ segment_key }}'
        and transitioned_at <= {{ nudge.as_of() }}

),

segment_start as (

    select min(transitioned_at) as first_transitioned_at
    from transitions

),

moves as (

    select
        transitions.transition_key,
        transitions.contact_id,
        transitions.transitioned_at
    from transitions
    cross join segment_start
    where
        transitions.transition = '{{ transition }}'
        and transitions.transitioned_at > segment_start.first_transitioned_at

),

undone as (

    select
        moves.transition_key,
        min(transitions.transitioned_at) as undone_at
    from moves
    inner join transitions
        on
            moves.contact_id = transitions.contact_id
            and transitions.transition = '{{ opposite }}'
            and transitions.transitioned_at > moves.transitioned_at
    group by moves.transition_key

),

profiles as (

    select * from {{ ref('contact_profiles') }}

)

select
    moves.contact_id,
    '{{ nudge.trigger_key_of(model.name) }}' as trigger_key,
    moves.transition_key as series_id,
    moves.transitioned_at as anchor_at,
    undone.undone_at as cancelled_at,
    case
        when undone.undone_at is not null then '{{ cancel_reason }}'
    end as cancel_reason,
    '' as reentry_key,
    {{ nudge.json_object_text([
        ('first_name', 'profiles.first_name', 'string'),
        ('segment', "'" ~ segment_key ~ "'", 'string'),
        ('transition', "'" ~ transition ~ "'", 'string'),
        ('moved_at', nudge.timestamp_key('moves.transitioned_at'), 'string'),
        ('orders_count', 'profiles.orders_count', 'number'),
        ('lifetime_revenue', 'profiles.lifetime_revenue', 'number'),
    ]) }} as payload
from moves
left join undone
    on moves.transition_key = undone.transition_key
left join profiles
    on moves.contact_id = profiles.contact_id
{%- endmacro %}
