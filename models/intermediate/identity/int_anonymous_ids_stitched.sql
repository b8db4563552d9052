{{ config(**nudge.incremental_config('anonymous_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('stg_events__checked'), ref('stg_identifies__checked')]) %}

{#-
    One row per anonymous_id that some user_id has been linked to: the latest link wins,
    from identify calls and from events that carry both ids. Incremental: re-ranks the
    devices with a link that landed since the last run (macros/cross_db/incremental.sql).
-#}

-- depends_on: {{ ref('stg_identifies__checked') }}
-- depends_on: {{ ref('stg_events__checked') }}

with

identify_links as (

    select
        anonymous_id,
        user_id,
        identified_at as linked_at,
        received_at,
        message_id
    from {{ ref('stg_identifies') }}
    where anonymous_id is not null

),

event_links as (

    select
        anonymous_id,
        user_id,
        event_at as linked_at,
        received_at,
        message_id
    from {{ ref('stg_events') }}
    where anonymous_id is not null and user_id is not null

),

links as (

    select * from identify_links
    union all
    select * from event_links

),

{% if is_incremental() -%}
    touched as (

        {{ nudge.linked_anonymous_ids(since) }}

    ),
{%- endif %}

ranked as (

    select
        *,
        row_number() over (
            partition by anonymous_id
            order by linked_at desc, received_at desc, message_id desc
        ) as link_rank,
        count(*) over (partition by anonymous_id) as link_count
    from links
    where {{ nudge.is_touched('anonymous_id') }}

),

final as (

    select
        anonymous_id,
        user_id,
        linked_at,
        link_count,
        {{ nudge.as_of() }} as processed_as_of
    from ranked
    where link_rank = 1

)

{{ nudge.replace_keys('final', 'anonymous_id', 'touched', since) }}
