{{ config(**nudge.incremental_config('dedupe_key')) }}
{%- set since = nudge.incremental_since(raw=(source('raw', 'identifies'), 'received_at')) %}

{#- Every raw identify call that had landed by as_of, typed, with its check result and outcome. -#}

{%- set raw_columns = ['message_id', 'user_id', 'anonymous_id', 'timestamp', 'received_at', 'traits'] %}

with

landed as (

    select * from {{ source('raw', 'identifies') }}
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
        {{ nudge.clean_text('user_id') }} as sent_user_id,
        {{ nudge.clean_text('anonymous_id') }} as sent_anonymous_id,
        {{ nudge.safe_timestamp(adapter.quote('timestamp')) }} as identified_at,
        {{ nudge.safe_timestamp('received_at') }} as received_at,
        case when {{ nudge.is_valid_json('traits') }} then traits end as traits,
        (traits is not null and not {{ nudge.is_valid_json('traits') }}) as has_invalid_json,
        {{ nudge.any_invalid_text(['message_id', 'user_id', 'anonymous_id', 'traits']) }} as has_invalid_text,
        {{ nudge.content_hash(['user_id', 'anonymous_id', 'timestamp', 'traits']) }} as content_hash,
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

checked as (

    select
        *,
        -- copies of one message share it; a row without message_id is its own key
        coalesce(message_id, raw_row) as dedupe_key,
        (sent_user_id is not null and user_id is null)
        or (sent_anonymous_id is not null and anonymous_id is null) as has_placeholder_identity,
        {{ nudge.first_failing_check([
            ('missing_message_id', 'message_id is null'),
            ('invalid_text', 'has_invalid_text'),
            ('missing_user_id', 'sent_user_id is null'),
            ('placeholder_identity', 'user_id is null'),
            ('missing_timestamp', 'identified_at is null'),
            ('missing_received_at', 'received_at is null'),
            ('clock_skew', 'identified_at > ' ~ dbt.dateadd('hour', var('max_clock_skew_hours'), 'received_at')),
            ('before_earliest_date', 'identified_at < ' ~ nudge.earliest_event_at()),
            ('invalid_json', 'has_invalid_json'),
        ]) }} as quarantine_reason
    from identified

),

ranked as (

    select
        *,
        {{ nudge.dedupe_rank(['dedupe_key'], 'received_at, identified_at, raw_row') }} as dedupe_rank,
        {{ nudge.kept_content_hash(['dedupe_key'], 'received_at, identified_at, raw_row') }} as kept_content_hash
    from checked

),

traits as (

    select
        *,
        {{ nudge.clean_text(nudge.json_text('traits', 'email')) }} as email_trait,
        {{ nudge.clean_text(nudge.json_text('traits', 'birthday')) }} as birthday_trait,
        {{ nudge.safe_date(nudge.clean_text(nudge.json_text('traits', 'birthday'))) }} as birthday_date,
        {{ nudge.clean_text(nudge.json_text('traits', 'created_at')) }} as created_at_trait,
        {{ nudge.safe_timestamp(nudge.clean_text(nudge.json_text('traits', 'created_at'))) }} as created_at_timestamp
    from ranked

),

{# implausible dates are dropped from the traits (macros/checks/dates.sql); the row is kept -#}
dated as (

    select
        *,
        case
            when birthday_date >= {{ nudge.earliest_birthday() }}
                and birthday_date <= cast(identified_at as date)
                then birthday_date
        end as valid_birthday,
        case when created_at_timestamp >= {{ nudge.earliest_event_at() }} then created_at_timestamp end
            as valid_created_at
    from traits

),

final as (

    select
        message_id,
        user_id,
        anonymous_id,
        identified_at,
        received_at,
        case when {{ nudge.is_valid_email('email_trait') }} then lower(email_trait) end as email,
        (email_trait is not null and not {{ nudge.is_valid_email('email_trait') }}) as email_is_invalid,
        {{ nudge.clean_text(nudge.json_text('traits', 'first_name')) }} as first_name,
        {{ nudge.clean_text(nudge.json_text('traits', 'last_name')) }} as last_name,
        {{ nudge.clean_text(nudge.json_text('traits', 'phone')) }} as phone,
        valid_birthday as birthday,
        (birthday_trait is not null and valid_birthday is null) as birthday_is_invalid,
        {{ nudge.clean_text(nudge.json_text('traits', 'timezone')) }} as timezone,
        {{ nudge.clean_text(nudge.json_text('traits', 'country')) }} as country,
        {{ nudge.clean_text(nudge.json_text('traits', 'city')) }} as city,
        valid_created_at as created_at,
        (created_at_trait is not null and valid_created_at is null) as created_at_is_invalid,
        traits,
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
    from dated

)

{{ nudge.replace_keys('final', 'dedupe_key', 'final', since) }}
