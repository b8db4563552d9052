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

renamed as (

    select
        {{ nudge.clean_text('message_id') }} as message_id,
        {{ nudge.clean_text('user_id') }} as user_id,
        {{ nudge.clean_text('anonymous_id') }} as anonymous_id,
        {{ nudge.safe_timestamp(adapter.quote('timestamp')) }} as identified_at,
        {{ nudge.safe_timestamp('received_at') }} as received_at,
        case when {{ nudge.is_valid_json('traits') }} then traits end as traits,
        (traits is not null and not {{ nudge.is_valid_json('traits') }}) as has_invalid_json,
        {{ nudge.any_invalid_text(['message_id', 'user_id', 'anonymous_id', 'traits']) }} as has_invalid_text,
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
            ('missing_user_id', 'user_id is null'),
            ('missing_timestamp', 'identified_at is null'),
            ('missing_received_at', 'received_at is null'),
            ('clock_skew', 'identified_at > ' ~ dbt.dateadd('hour', var('max_clock_skew_hours'), 'received_at')),
            ('invalid_json', 'has_invalid_json'),
        ]) }} as quarantine_reason
    from renamed

),

ranked as (

    select
        *,
        {{ nudge.dedupe_rank(['dedupe_key'], 'received_at, identified_at, raw_row') }} as dedupe_rank
    from checked

),

traits as (

    select
        *,
        {{ nudge.clean_text(nudge.json_text('traits', 'email')) }} as email_trait
    from ranked

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
        {{ nudge.safe_date(nudge.clean_text(nudge.json_text('traits', 'birthday'))) }} as birthday,
        {{ nudge.clean_text(nudge.json_text('traits', 'timezone')) }} as timezone,
        {{ nudge.clean_text(nudge.json_text('traits', 'country')) }} as country,
        {{ nudge.clean_text(nudge.json_text('traits', 'city')) }} as city,
        {{ nudge.safe_timestamp(nudge.clean_text(nudge.json_text('traits', 'created_at'))) }} as created_at,
        traits,
        quarantine_reason,
        dedupe_rank,
        {{ nudge.row_outcome(['message_id']) }} as row_outcome,
        raw_row,
        dedupe_key,
        {{ nudge.as_of() }} as processed_as_of
    from traits

)

{{ nudge.replace_keys('final', 'dedupe_key', 'final', since) }}
