{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        full_refresh=false,
    )
}}

{#-
    Segment entries and exits, recorded once each, at the `as_of` of the run that saw them:
    the history is this table itself (append-only, on every engine; no delete or merge).
    A run compares segment_memberships with each (segment_key, contact_id)'s latest
    transition here: a member without one, or whose latest is an exit, enters; a contact
    whose latest is an entry and who is no longer a member exits. Pairs whose latest
    transition is not before this run's as_of are left alone, so running twice with the
    same as_of adds nothing. A run as of an instant before the newest transition recorded
    (a replay of the past into this warehouse) adds nothing at all: its entries for pairs
    with no history yet would land behind later history and break the one timeline.
    full_refresh=false: `dbt build --full-refresh` keeps the history (drop the table to
    start over).
-#}

with

current_members as (

    select
        segment_key,
        contact_id
    from {{ ref('segment_memberships') }}

),

{% if is_incremental() %}

    history as (

        select
            segment_key,
            contact_id,
            transition,
            transitioned_at,
            row_number() over (
                partition by segment_key, contact_id
                order by transitioned_at desc, transition asc
            ) as recency_rank
        from {{ this }}

    ),

{% else %}

    history as (

        select
            cast(null as {{ dbt.type_string() }}) as segment_key,
            cast(null as {{ dbt.type_string() }}) as contact_id,
            cast(null as {{ dbt.type_string() }}) as transition,
            cast(null as {{ dbt.type_timestamp() }}) as transitioned_at,
            1 as recency_rank
        from current_members
        where 1 = 0

    ),

{% endif %}

latest as (

    select * from history
    where recency_rank = 1

),

entered as (

    select
        current_members.segment_key,
        current_members.contact_id,
        'entered' as transition
    from current_members
    left join latest
        on
            current_members.segment_key = latest.segment_key
            and current_members.contact_id = latest.contact_id
    where
        latest.contact_id is null
        or (latest.transition = 'exited' and latest.transitioned_at < {{ nudge.as_of() }})

),

exited as (

    select
        latest.segment_key,
        latest.contact_id,
        'exited' as transition
    from latest
    left join current_members
        on
            latest.segment_key = current_members.segment_key
            and latest.contact_id = current_members.contact_id
    where
        latest.transition = 'entered'
        and latest.transitioned_at < {{ nudge.as_of() }}
        and current_members.contact_id is null

),

transitions as (

    select * from entered
    union all
    select * from exited

),

kept as (

    select * from transitions
    {% if is_incremental() %}
        where not exists (
            select 1 from {{ this }}
            where transitioned_at > {{ nudge.as_of() }}
        )
    {% endif %}

)

{#- the contract's types exactly: the incremental run compares them with the table's -#}
{%- set text_type = nudge.engine_type('varchar') %}

select
    cast({{ dbt.concat([
        'segment_key', "'|'", 'contact_id', "'|'", 'transition', "'|'",
        "'" ~ nudge.as_of_instant().strftime('%Y-%m-%dT%H:%M:%S') ~ "'",
    ]) }} as {{ text_type }}) as transition_key,
    cast(segment_key as {{ text_type }}) as segment_key,
    cast(contact_id as {{ text_type }}) as contact_id,
    cast(transition as {{ text_type }}) as transition,
    {{ nudge.as_of() }} as transitioned_at
from kept
