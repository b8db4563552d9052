{{ config(**nudge.incremental_config('user_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('stg_identifies__checked')]) %}

{#-
    One row per user_id from identify calls: the latest non-null value of each trait.
    The email is the latest email *stated* (valid or not): when it was invalid, email is
    null and email_is_invalid is true, so an older valid address is not used for sending.
    Incremental per user: a run recomputes the users of the identify calls staging wrote
    since the last run (those landed, and every copy of a message whose kept copy may have
    changed); an identify call's content never changes once landed, so time passing alone
    changes nothing here.
-#}

-- depends_on: {{ ref('stg_identifies__checked') }}

{%- set traits = ['first_name', 'last_name', 'phone', 'birthday', 'timezone', 'country', 'city', 'created_at'] %}
{%- set written_users -%}
    select user_id from {{ ref('stg_identifies__checked') }}
    {%- if since is not none %}
        where {{ nudge.written_after(nudge.watermark()) }}
    {%- endif %}
{%- endset %}
{%- set touched = nudge.touched_keys('user_id', written_users) %}

with

{{ touched.cte }}

identifies as (

    select * from {{ ref('stg_identifies') }}
    where {{ touched.filter }}

),

trait_values as (

    {% for trait in traits %}
        select
            user_id,
            '{{ trait }}' as trait,
            {{ dbt.cast(trait, dbt.type_string()) }} as trait_value,
            identified_at,
            received_at,
            message_id
        from identifies
        where {{ trait }} is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

ranked_traits as (

    select
        *,
        row_number() over (
            partition by user_id, trait
            order by identified_at desc, received_at desc, message_id desc
        ) as recency_rank
    from trait_values

),

latest_traits as (

    select
        user_id,
        {% for trait in traits %}
            max(case when trait = '{{ trait }}' then trait_value end) as {{ trait }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from ranked_traits
    where recency_rank = 1
    group by user_id

),

ranked_emails as (

    select
        user_id,
        email,
        email_is_invalid,
        row_number() over (
            partition by user_id
            order by identified_at desc, received_at desc, message_id desc
        ) as recency_rank
    from identifies
    where email is not null or email_is_invalid

),

identify_summary as (

    select
        user_id,
        min(identified_at) as first_identified_at,
        max(identified_at) as last_identified_at
    from identifies
    group by user_id

),

final as (

    select
        identify_summary.user_id,
        ranked_emails.email,
        coalesce(ranked_emails.email_is_invalid, false) as email_is_invalid,
        latest_traits.first_name,
        latest_traits.last_name,
        latest_traits.phone,
        cast(latest_traits.birthday as date) as birthday,
        latest_traits.timezone,
        latest_traits.country,
        latest_traits.city,
        cast(latest_traits.created_at as {{ dbt.type_timestamp() }}) as created_at,
        identify_summary.first_identified_at,
        identify_summary.last_identified_at,
        {{ nudge.as_of() }} as processed_as_of
    from identify_summary
    left join latest_traits
        on identify_summary.user_id = latest_traits.user_id
    left join ranked_emails
        on
            identify_summary.user_id = ranked_emails.user_id
            and ranked_emails.recency_rank = 1

)

{{ nudge.replace_keys('final', 'user_id', 'touched', since) }}
