{{ config(**nudge.incremental_config('dedupe_key')) }}
{%- set since = nudge.incremental_since(raw=(source('raw', 'events'), 'received_at')) %}

{#- Every raw event that had landed by as_of, typed, with its check result and outcome. -#}

{%- set raw_columns = [
    'message_id',
    'event',
    'user_id',
    'anonymous_id',
    'timestamp',
    'received_at',
    'properties',
    'context',
] %}

with

landed as (

    select * from {{ source('raw', 'events') }}
    where {{ nudge.landed_by_as_of('received_at') }}

),

{# incremental: every copy of each message_id that landed since, and the rows without one -#}
source as (

    select * from landed
    {%- if is_incremental() %}
        where
            {{ nudge.clean_text('message_id') }} in (
                select {{ nudge.clean_text('message_id') }} from landed
                where {{ nudge.changed_since('received_at', since, raw=true) }}
            )
            or (
                {{ nudge.clean_text('message_id') }} is null
                and {{ nudge.changed_since('received_at', since, raw=true) }}
            )
    {%- endif %}

),

renamed as (

    select
        {{ nudge.clean_text('message_id') }} as message_id,
        {{ nudge.canonical_event_name('event') }} as event_name,
        event as received_event_name,
        {{ nudge.clean_text('user_id') }} as user_id,
        {{ nudge.clean_text('anonymous_id') }} as anonymous_id,
        {{ nudge.safe_timestamp(adapter.quote('timestamp')) }} as event_at,
        {{ nudge.safe_timestamp('received_at') }} as received_at,
        case when {{ nudge.is_valid_json('properties') }} then properties end as properties,
        case when {{ nudge.is_valid_json('context') }} then context end as context,
        (properties is not null and not {{ nudge.is_valid_json('properties') }})
        or (context is not null and not {{ nudge.is_valid_json('context') }}) as has_invalid_json,
        {{ nudge.any_invalid_text(['message_id', 'event', 'user_id', 'anonymous_id', 'properties', 'context']) }}
            as has_invalid_text,
        {{ nudge.row_to_json_text(raw_columns) }} as raw_row
    from source

),

checked as (

    select
        *,
        -- copies of one message share it; a row without message_id is its own key
        coalesce(message_id, raw_row) as dedupe_key,
        {{ nudge.first_failing_check([
            ('missing_message_id', 'message_id is null'),
            ('invalid_text', 'has_invalid_text'),
            ('missing_event_name', 'event_name is null'),
            ('missing_identity', 'user_id is null and anonymous_id is null'),
            ('missing_timestamp', 'event_at is null'),
            ('missing_received_at', 'received_at is null'),
            ('clock_skew', 'event_at > ' ~ dbt.dateadd('hour', var('max_clock_skew_hours'), 'received_at')),
            ('invalid_json', 'has_invalid_json'),
            ('order_missing_id', "event_name = 'Order Completed' and " ~ nudge.clean_text(nudge.json_text('properties', 'order_id')) ~ ' is null'),
            ('negative_order_total', "event_name = 'Order Completed' and " ~ nudge.json_number('properties', 'total') ~ ' < 0'),
            ('missing_required_property', nudge.missing_required_property('event_name', 'properties')),
        ]) }} as quarantine_reason
    from renamed

),

ranked as (

    select
        *,
        {{ nudge.dedupe_rank(['dedupe_key'], 'received_at, event_at, raw_row') }} as dedupe_rank
    from checked

),

final as (

    select
        message_id,
        event_name,
        received_event_name,
        user_id,
        anonymous_id,
        event_at,
        received_at,
        properties,
        context,
        coalesce({{ nudge.clean_text(nudge.json_text('context', 'channel')) }}, 'web') as channel,
        {{ nudge.is_known_event('event_name') }} as is_known_event,
        coalesce({{ nudge.is_known_event('event_name') }} and event_name <> received_event_name, false)
            as is_event_name_variant,
        quarantine_reason,
        dedupe_rank,
        {{ nudge.row_outcome(['message_id']) }} as row_outcome,
        raw_row,
        dedupe_key,
        {{ nudge.as_of() }} as processed_as_of
    from ranked

)

{{ nudge.replace_keys('final', 'dedupe_key', 'final', since) }}
