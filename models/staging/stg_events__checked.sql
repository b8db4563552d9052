{{ config(**nudge.incremental_config('dedupe_key')) }}
{%- set since = nudge.incremental_since(raw=(source('raw', 'events'), 'received_at')) %}
{%- set raw_events = source('raw', 'events') %}
{%- set rereads_older_copies = since is not none and nudge.older_copies_landed(raw_events, since) %}
{%- set content_columns = ['event', 'user_id', 'anonymous_id', 'timestamp', 'properties', 'context'] %}
{#-
    Every read of the raw rows below is its own scan of the raw table: a CTE read twice
    would be copied whole first. An incremental run reads them from `source`, small.
-#}
{%- set every_landed_row -%}
    {%- if is_incremental() -%}
        source
    {%- else -%}
        (select * from {{ raw_events }} where {{ nudge.landed_by_as_of('received_at') }}) as landed
    {%- endif -%}
{%- endset %}

{#- Every raw event that had landed by as_of, typed, with its check result and outcome. -#}

with

{#
    incremental: every row landed since, and the older copies of their message_ids when there
    are any (finding them cleans every raw row's message_id, so it is done only then)
-#}
source as (

    select * from {{ raw_events }}
    where {{ nudge.landed_by_as_of('received_at') }}
    {%- if is_incremental() and not rereads_older_copies %}
        and {{ nudge.changed_since('received_at', since, raw=true) }}
    {%- elif is_incremental() %}
        and (
            {{ nudge.clean_text('message_id') }} in (
                select {{ nudge.clean_text('message_id') }} from {{ raw_events }}
                where
                    {{ nudge.changed_since('received_at', since, raw=true) }}
                    and {{ nudge.landed_by_as_of('received_at') }}
            )
            or (
                {{ nudge.clean_text('message_id') }} is null
                and {{ nudge.changed_since('received_at', since, raw=true) }}
            )
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
        {{ nudge.content_hash(content_columns) }} as content_hash,
        {# what the raw row needs beyond the cleaned columns, null where they hold it already -#}
        {{ nudge.unless_equal('message_id', nudge.clean_text('message_id')) }} as raw_message_id,
        {{ nudge.unless_equal('user_id', nudge.clean_text('user_id')) }} as raw_user_id,
        {{ nudge.unless_equal('anonymous_id', nudge.clean_text('anonymous_id')) }} as raw_anonymous_id,
        {{ adapter.quote('timestamp') }} as raw_timestamp,
        received_at as raw_received_at,
        case when not {{ nudge.is_valid_json('properties') }} then properties end as raw_invalid_properties,
        case when not {{ nudge.is_valid_json('context') }} then context end as raw_invalid_context
    from source

),

keyed as (

    select
        *,
        {{ nudge.event_row_key('content_hash', 'raw_message_id', 'message_id', 'raw_received_at') }} as row_key
    from renamed

),

{# placeholder ids (macros/checks/identities.sql) are dropped: they identify nobody -#}
identified as (

    select
        keyed.*,
        {{ nudge.unless_placeholder('keyed.sent_user_id', 'user_placeholder') }} as user_id,
        {{ nudge.unless_placeholder('keyed.sent_anonymous_id', 'anonymous_placeholder') }} as anonymous_id
    from keyed
    left join placeholders as user_placeholder
        on {{ nudge.identity_key('keyed.sent_user_id') }} = user_placeholder.identity
    left join placeholders as anonymous_placeholder
        on {{ nudge.identity_key('keyed.sent_anonymous_id') }} = anonymous_placeholder.identity

),

{# the order events' lines, read from the raw rows again: only these few rows are keyed twice -#}
order_rows as (

    select
        {{ nudge.event_row_key(
            nudge.content_hash(content_columns),
            nudge.unless_equal('message_id', nudge.clean_text('message_id')),
            nudge.clean_text('message_id'),
            'received_at',
        ) }} as row_key,
        {{ nudge.canonical_event_name('event') }} as event_name,
        properties
    from {{ every_landed_row }}
    where
        {{ nudge.canonical_event_name('event') }} = 'Order Completed'
        and {{ nudge.is_valid_json('properties') }}

),

order_lines as (

    {{ nudge.order_line_numbers('order_rows', 'row_key', 'properties') }}

),

checked as (

    select
        identified.*,
        -- copies of one message share it; a row without message_id is its own key
        coalesce(identified.message_id, identified.row_key) as dedupe_key,
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
            ('invalid_preference', nudge.is_invalid_preference('identified.event_name', 'identified.properties')),
        ]) }} as quarantine_reason
    from identified
    left join order_lines
        on identified.row_key = order_lines.row_key

),

{# message_ids landed more than once: only their copies need ranking -#}
repeated_keys as (

    select {{ nudge.clean_text('message_id') }} as message_id
    from {{ every_landed_row }}
    group by {{ nudge.clean_text('message_id') }}
    having count(*) > 1

),

{# the raw row as JSON only where someone will read it: quarantined rows and re-delivered keys -#}
inspectable as (

    select
        checked.message_id,
        checked.event_name,
        checked.received_event_name,
        checked.user_id,
        checked.anonymous_id,
        checked.event_at,
        checked.received_at,
        checked.properties,
        checked.context,
        checked.has_placeholder_identity,
        checked.quarantine_reason,
        checked.content_hash,
        checked.row_key,
        checked.dedupe_key,
        -- a row without message_id is ranked too: identical copies of it share a dedupe_key
        checked.message_id is null or repeated_keys.message_id is not null as is_repeated,
        case when checked.quarantine_reason is not null or repeated_keys.message_id is not null then
            {{ nudge.row_to_json_text([
                ('message_id', 'coalesce(checked.raw_message_id, checked.message_id)'),
                ('event', 'checked.received_event_name'),
                ('user_id', 'coalesce(checked.raw_user_id, checked.sent_user_id)'),
                ('anonymous_id', 'coalesce(checked.raw_anonymous_id, checked.sent_anonymous_id)'),
                ('timestamp', 'checked.raw_timestamp'),
                ('received_at', 'checked.raw_received_at'),
                ('properties', 'coalesce(checked.raw_invalid_properties, checked.properties)'),
                ('context', 'coalesce(checked.raw_invalid_context, checked.context)'),
            ]) }}
        end as raw_row
    from checked
    left join repeated_keys
        on checked.message_id = repeated_keys.message_id

),

ranked as (

    select
        *,
        1 as dedupe_rank,
        content_hash as kept_content_hash
    from inspectable
    where not is_repeated

    union all

    select
        *,
        {{ nudge.dedupe_rank(['dedupe_key'], 'received_at, event_at, row_key') }} as dedupe_rank,
        {{ nudge.kept_content_hash(['dedupe_key'], 'received_at, event_at, row_key') }} as kept_content_hash
    from inspectable
    where is_repeated

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
    from ranked

)

{{ nudge.replace_keys('final', 'dedupe_key', 'final', since) }}
