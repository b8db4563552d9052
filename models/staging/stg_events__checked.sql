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

placeholders as (

    {{ nudge.placeholder_identities() }}

),

renamed as (

    select
        {{ nudge.clean_text('message_id') }} as message_id,
        {{ nudge.canonical_event_name('event') }} as event_name,
        event as received_event_name,
        {{ nudge.clean_text('user_id') }} as sent_user_id,
        {{ nudge.clean_text('anonymous_id') }} as sent_anonymous_id,
        {{ nudge.safe_timestamp(adapter.quote('timestamp')) }} as event_at,
        {{ nudge.safe_timestamp('received_at') }} as received_at,
        case when {{ nudge.is_valid_json('properties') }} then properties end as properties,
        case when {{ nudge.is_valid_json('context') }} then context end as context,
        (properties is not null and not {{ nudge.is_valid_json('properties') }})
        or (context is not null and not {{ nudge.is_valid_json('context') }}) as has_invalid_json,
        {{ nudge.any_invalid_text(['message_id', 'event', 'user_id', 'anonymous_id', 'properties', 'context']) }}
            as has_invalid_text,
        {{ nudge.content_hash(['event', 'user_id', 'anonymous_id', 'timestamp', 'properties', 'context']) }}
            as content_hash,
        {{ nudge.row_to_json_text(raw_columns) }} as raw_row
    from source

),

{# placeholder ids (macros/checks/identities.sql) are dropped: they identify nobody -#}
identified as (

    select
        renamed.*,
        {{ nudge.unless_placeholder('renamed.sent_user_id', 'user_placeholder') }} as user_id,
        {{ nudge.unless_placeholder('renamed.sent_anonymous_id', 'anonymous_placeholder') }} as anonymous_id
    from renamed
    left join placeholders as user_placeholder
        on {{ nudge.identity_key('renamed.sent_user_id') }} = user_placeholder.identity
    left join placeholders as anonymous_placeholder
        on {{ nudge.identity_key('renamed.sent_anonymous_id') }} = anonymous_placeholder.identity

),

order_lines as (

    {{ nudge.order_line_numbers('identified', 'raw_row', 'properties') }}

),

checked as (

    select
        identified.*,
        -- copies of one message share it; a row without message_id is its own key
        coalesce(identified.message_id, identified.raw_row) as dedupe_key,
        (identified.sent_user_id is not null and identified.user_id is null)
        or (identified.sent_anonymous_id is not null and identified.anonymous_id is null) as has_placeholder_identity,
        {{ nudge.first_failing_check([
            ('missing_message_id', 'identified.message_id is null'),
            ('invalid_text', 'identified.has_invalid_text'),
            ('missing_event_name', 'identified.event_name is null'),
            ('missing_identity', 'identified.sent_user_id is null and identified.sent_anonymous_id is null'),
            ('placeholder_identity', 'identified.user_id is null and identified.anonymous_id is null'),
            ('missing_timestamp', 'identified.event_at is null'),
            ('missing_received_at', 'identified.received_at is null'),
            ('clock_skew', 'identified.event_at > ' ~ dbt.dateadd('hour', var('max_clock_skew_hours'), 'identified.received_at')),
            ('before_earliest_date', 'identified.event_at < ' ~ nudge.earliest_event_at()),
            ('invalid_json', 'identified.has_invalid_json'),
            ('invalid_number', nudge.has_invalid_number('identified.event_name', 'identified.properties') ~ ' or order_lines.has_invalid_line_number = 1'),
            ('order_missing_id', "identified.event_name = 'Order Completed' and " ~ nudge.clean_text(nudge.json_text('identified.properties', 'order_id')) ~ ' is null'),
            ('negative_order_total', "identified.event_name = 'Order Completed' and " ~ nudge.json_number('identified.properties', 'total') ~ ' < 0'),
            ('missing_required_property', nudge.missing_required_property('identified.event_name', 'identified.properties')),
        ]) }} as quarantine_reason
    from identified
    left join order_lines
        on identified.raw_row = order_lines.raw_row

),

ranked as (

    select
        *,
        {{ nudge.dedupe_rank(['dedupe_key'], 'received_at, event_at, raw_row') }} as dedupe_rank
    from checked

),

compared as (

    select
        *,
        {{ nudge.kept_content_hash(['dedupe_key']) }} as kept_content_hash
    from ranked

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
        has_placeholder_identity,
        quarantine_reason,
        dedupe_rank,
        {{ nudge.row_outcome(['message_id']) }} as row_outcome,
        {{ nudge.is_duplicate_conflict(['message_id']) }} as is_duplicate_conflict,
        content_hash,
        kept_content_hash,
        raw_row,
        dedupe_key,
        {{ nudge.as_of() }} as processed_as_of
    from compared

)

{{ nudge.replace_keys('final', 'dedupe_key', 'final', since) }}
