{#-
    content_followup: the first download of each content item by a contact, once per
    content: series_id = content_id, anchored at that download. Never cancelled.
    Payload: the content and up to var trigger_recommended_products (3) other items on the same
    topic the contact has not downloaded (int_content_items_ranked, most popular first);
    the list may be empty when the topic has nothing else yet.
-#}

{%- set recommendations = var('trigger_recommended_products') %}

with

downloads as (

    select * from {{ ref('int_content_downloads_parsed') }}

),

first_downloads as (

    select
        contact_id,
        content_id,
        downloaded_at,
        title,
        topic,
        row_number() over (
            partition by contact_id, content_id
            order by downloaded_at, message_id
        ) as download_number
    from downloads

),

items as (

    select * from {{ ref('int_content_items_ranked') }}

),

series as (

    select
        first_downloads.contact_id,
        first_downloads.content_id,
        first_downloads.downloaded_at,
        coalesce(items.title, first_downloads.title) as title,
        coalesce(first_downloads.topic, items.topic) as topic,
        items.url
    from first_downloads
    left join items
        on first_downloads.content_id = items.content_id
    where first_downloads.download_number = 1

),

contact_downloads as (

    select distinct
        contact_id,
        content_id
    from downloads

),

picks as (

    select
        series.contact_id,
        series.content_id,
        items.content_id as pick_content_id,
        items.title,
        items.url,
        row_number() over (
            partition by series.contact_id, series.content_id
            order by items.topic_rank
        ) as pick_rank
    from series
    inner join items
        on
            series.topic = items.topic
            and series.content_id <> items.content_id
    left join contact_downloads
        on
            series.contact_id = contact_downloads.contact_id
            and items.content_id = contact_downloads.content_id
    where contact_downloads.content_id is null

),

related as (

    select
        contact_id,
        content_id,
        {{ nudge.json_array_agg_text(
            nudge.json_object_text([
                ('content_id', 'pick_content_id', 'string'),
                ('title', 'title', 'string'),
                ('url', 'url', 'string'),
            ]),
            'pick_rank',
        ) }} as related_content
    from picks
    where pick_rank <= {{ recommendations }}
    group by contact_id, content_id

)

select
    series.contact_id,
    'content_followup' as trigger_key,
    series.content_id as series_id,
    series.downloaded_at as anchor_at,
    cast(null as {{ dbt.type_timestamp() }}) as cancelled_at,
    cast(null as {{ dbt.type_string() }}) as cancel_reason,
    cast(null as {{ dbt.type_string() }}) as reentry_key,
    {{ nudge.json_object_text([
        ('content', nudge.json_object_text([
            ('content_id', 'series.content_id', 'string'),
            ('title', 'series.title', 'string'),
            ('topic', 'series.topic', 'string'),
            ('url', 'series.url', 'string'),
        ]), 'json'),
        ('downloaded_at', nudge.timestamp_key('series.downloaded_at'), 'string'),
        ('related_content', "coalesce(related.related_content, '[]')", 'json'),
    ]) }} as payload
from series
left join related
    on
        series.contact_id = related.contact_id
        and series.content_id = related.content_id
