{#-
    One row per content item known by `as_of`, from every contact's events: downloadable
    content (Content Downloaded: content_id, title, topic) and blog pages whose Page Viewed
    carries a category (content_id = the page path, topic = that category). Title and url
    are the latest seen; topic_rank 1 is the topic's most downloaded and viewed item (ties:
    content_id), which is what a follow-up on the topic recommends first.
-#}

with

downloads as (

    select
        content_id,
        title,
        topic,
        cast(null as {{ dbt.type_string() }}) as url,
        downloaded_at as seen_at,
        1 as is_download
    from {{ ref('int_content_downloads_parsed') }}
    where topic is not null

),

blog_views as (

    select
        page_path as content_id,
        title,
        lower(category) as topic,
        url,
        viewed_at as seen_at,
        0 as is_download
    from {{ ref('int_page_views_parsed') }}
    where page_type = 'blog'

),

sightings as (

    select * from downloads
    union all
    select * from blog_views
    where content_id is not null and topic is not null

),

latest as (

    select
        content_id,
        title,
        topic,
        url,
        row_number() over (partition by content_id order by seen_at desc, is_download desc) as recency_rank
    from sightings

),

latest_url as (

    select
        content_id,
        url,
        row_number() over (partition by content_id order by seen_at desc) as recency_rank
    from sightings
    where url is not null

),

counted as (

    select
        content_id,
        sum(is_download) as downloads,
        sum(1 - is_download) as page_views
    from sightings
    group by content_id

)

select
    latest.content_id,
    latest.title,
    latest.topic,
    latest_url.url,
    cast(counted.downloads as {{ dbt.type_int() }}) as downloads,
    cast(counted.page_views as {{ dbt.type_int() }}) as page_views,
    cast(row_number() over (
        partition by latest.topic
        order by counted.downloads + counted.page_views desc, latest.content_id
    ) as {{ dbt.type_int() }}) as topic_rank
from latest
inner join counted
    on latest.content_id = counted.content_id
left join latest_url
    on
        latest.content_id = latest_url.content_id
        and latest_url.recency_rank = 1
where latest.recency_rank = 1
