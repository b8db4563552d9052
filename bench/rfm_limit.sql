-- The "limit" for `dbt run --select +contact_rfm`: contact_rfm computed from the raw tables
-- in one DuckDB statement (bench/README in BENCHMARKS.md, "Model build (issue 14)").
-- It applies the same rules as the models (stg_events__checked, stg_identifies__checked,
-- int_anonymous_ids_stitched, int_events_attributed, int_orders_netted, contact_rfm):
-- landed by as_of; quarantine checks; one kept copy per message_id (the earliest passing
-- copy); anonymous ids stitched to their latest user_id; the first Order Completed per
-- order_id, net of refunds (a refund without a total refunds the whole order, a negative
-- one nothing, together capped at the order total); recency / frequency / monetary over the
-- lookback and rank-based 1-5 scores. It reads raw.events, raw.identifies and the seeds
-- reference.placeholder_identities and reference.rfm_segment_map. Parameters: $as_of
-- (timestamp), $lookback_days (var rfm_lookback_days), $earliest (var earliest_event_at),
-- $skew_hours (var max_clock_skew_hours). Only the checks that decide whether a row passes
-- are evaluated (not which reason quarantines it), and only the fields RFM reads are kept.
-- One difference: among passing copies of a message_id with equal received_at and
-- timestamp, the models break the tie on an md5 hash of the raw row, this on the raw
-- columns in order (such copies are conflicting re-deliveries landed in the same instant).
with

placeholders as (
    select distinct lower(trim(both ' ' || chr(9) || chr(10) || chr(13) from cast(identity as text))) as identity
    from reference.placeholder_identities
    where identity is not null
    union
    select unnest(['', 'null', 'undefined', 'none', 'nil', 'nan', 'n/a', '0', '-1', '[object object]'])
),

events as (
    select
        nullif(trim(e.message_id), '') as message_id,
        case lower(nullif(trim(e.event), ''))
            when 'product viewed' then 'Product Viewed'
            when 'product added' then 'Product Added'
            when 'product removed' then 'Product Removed'
            when 'checkout started' then 'Checkout Started'
            when 'order completed' then 'Order Completed'
            when 'order refunded' then 'Order Refunded'
            when 'product added to wishlist' then 'Product Added to Wishlist'
            when 'product reviewed' then 'Product Reviewed'
            when 'content downloaded' then 'Content Downloaded'
            when 'ticket created' then 'Ticket Created'
            else nullif(trim(e.event), '')
        end as event_name,
        nullif(trim(e.user_id), '') as sent_user_id,
        nullif(trim(e.anonymous_id), '') as sent_anonymous_id,
        try_cast(e."timestamp" as timestamp) as event_at,
        try_cast(e.received_at as timestamp) as received_at,
        case when json_valid(e.properties) then e.properties end as properties,
        (e.properties is not null and not json_valid(e.properties))
        or (e.context is not null and not json_valid(e.context)) as has_invalid_json,
        list_bool_or(list_transform(
            [e.message_id, e.event, e.user_id, e.anonymous_id, e.properties, e.context],
            lambda v: coalesce(
                regexp_matches(v, '[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\x{FFFD}]')
                or regexp_matches(v, '\\u(000[0-8bBcCeEfF]|001[0-9a-fA-F]|007[fF]|[fF][fF][fF][dD])'),
                false
            )
        )) as has_invalid_text,
        e.event as raw_event,
        e.user_id as raw_user_id,
        e.anonymous_id as raw_anonymous_id,
        e."timestamp" as raw_timestamp,
        e.received_at as raw_received_at,
        e.properties as raw_properties,
        e.context as raw_context
    from raw.events as e
    where try_cast(e.received_at as timestamp) <= $as_of or try_cast(e.received_at as timestamp) is null
),

identified as (
    select
        events.*,
        case when up.identity is null then events.sent_user_id end as user_id,
        case when ap.identity is null then events.sent_anonymous_id end as anonymous_id,
        -- the properties the checks and RFM read (null when properties is not valid JSON)
        json_extract_string(events.properties, [
            '$.price', '$.quantity', '$.value', '$.total', '$.revenue', '$.discount',
            '$.order_id', '$.product_id', '$.content_id', '$.ticket_id'
        ]) as p,
        case when events.event_name = 'Order Completed'
            and json_type(events.properties, '$.products') = 'ARRAY'
            then list_slice(cast(json_extract(events.properties, '$.products') as json[]), 1, 50)
        end as order_lines
    from events
    left join placeholders as up
        on lower(trim(both ' ' || chr(9) || chr(10) || chr(13) from events.sent_user_id)) = up.identity
    left join placeholders as ap
        on lower(trim(both ' ' || chr(9) || chr(10) || chr(13) from events.sent_anonymous_id)) = ap.identity
),

fields as (
    select
        identified.*,
        p[1] as price, p[2] as quantity, p[3] as value_, p[4] as total, p[5] as revenue,
        p[6] as discount,
        nullif(trim(p[7]), '') as order_id,
        nullif(trim(p[8]), '') as product_id,
        nullif(trim(p[9]), '') as content_id,
        nullif(trim(p[10]), '') as ticket_id,
        -- a number as the models read one (macros json_number): null unless it fits
        case
            when regexp_matches(p[4], '^-?[0-9]{1,15}([.][0-9]+)?$') then cast(p[4] as decimal(18, 2))
            when regexp_matches(p[4], '^-?[0-9]{1,20}([.][0-9]{1,20})?[eE][-+]?[0-9]{1,2}$')
                and abs(try_cast(p[4] as double)) < 1e15
                then cast(cast(p[4] as double) as decimal(18, 2))
        end as total_number
    from identified
),

checked as (
    select
        fields.*,
        not (
            message_id is null
            or has_invalid_text
            or event_name is null
            or (sent_user_id is null and sent_anonymous_id is null)
            or (user_id is null and anonymous_id is null)
            or event_at is null
            or received_at is null
            or event_at > received_at + cast($skew_hours as bigint) * interval 1 hour
            or event_at < cast($earliest as timestamp)
            or has_invalid_json
            -- invalid_number: a value that is there but is no number fitting decimal(18, 2)
            or coalesce(list_bool_or(list_transform(
                case event_name
                    when 'Product Viewed' then [price]
                    when 'Product Added' then [price, quantity]
                    when 'Product Removed' then [quantity]
                    when 'Checkout Started' then [value_]
                    when 'Order Completed' then [total, revenue, discount]
                        || flatten(list_transform(coalesce(order_lines, []), lambda l: [
                            json_extract_string(l, '$.price'), json_extract_string(l, '$.quantity')
                        ]))
                    when 'Order Refunded' then [total]
                    when 'Product Added to Wishlist' then [price]
                    else []
                end,
                lambda v: nullif(trim(v), '') is not null
                    and not coalesce(
                        regexp_matches(v, '^-?[0-9]{1,15}([.][0-9]+)?$')
                        or (
                            regexp_matches(v, '^-?[0-9]{1,20}([.][0-9]{1,20})?[eE][-+]?[0-9]{1,2}$')
                            and abs(try_cast(v as double)) < 1e15
                        ),
                        false
                    )
            )), false)
            or (event_name = 'Order Completed' and (order_id is null or total_number is null or total_number < 0))
            or (event_name in ('Product Viewed', 'Product Added', 'Product Removed', 'Product Added to Wishlist', 'Product Reviewed') and product_id is null)
            or (event_name = 'Order Refunded' and order_id is null)
            or (event_name = 'Content Downloaded' and content_id is null)
            or (event_name = 'Ticket Created' and ticket_id is null)
        ) as passes
    from fields
),

kept_events as (
    select *
    from checked
    where message_id is not null
    qualify row_number() over (
        partition by message_id
        order by
            case when passes then 0 else 1 end, received_at, event_at,
            raw_event, raw_user_id, raw_anonymous_id, raw_timestamp, raw_received_at,
            raw_properties, raw_context
    ) = 1 and passes
),

kept_identifies as (
    select
        nullif(trim(i.message_id), '') as message_id,
        case when up.identity is null then nullif(trim(i.user_id), '') end as user_id,
        case when ap.identity is null then nullif(trim(i.anonymous_id), '') end as anonymous_id,
        try_cast(i."timestamp" as timestamp) as identified_at,
        try_cast(i.received_at as timestamp) as received_at,
        not (
            nullif(trim(i.message_id), '') is null
            or coalesce(list_bool_or(list_transform(
                [i.message_id, i.user_id, i.anonymous_id, i.traits],
                lambda v: regexp_matches(v, '[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\x{FFFD}]')
                    or regexp_matches(v, '\\u(000[0-8bBcCeEfF]|001[0-9a-fA-F]|007[fF]|[fF][fF][fF][dD])')
            )), false)
            or nullif(trim(i.user_id), '') is null
            or up.identity is not null
            or try_cast(i."timestamp" as timestamp) is null
            or try_cast(i.received_at as timestamp) is null
            or try_cast(i."timestamp" as timestamp)
                > try_cast(i.received_at as timestamp) + cast($skew_hours as bigint) * interval 1 hour
            or try_cast(i."timestamp" as timestamp) < cast($earliest as timestamp)
            or (i.traits is not null and not json_valid(i.traits))
        ) as passes
    from raw.identifies as i
    left join placeholders as up
        on lower(trim(both ' ' || chr(9) || chr(10) || chr(13) from nullif(trim(i.user_id), ''))) = up.identity
    left join placeholders as ap
        on lower(trim(both ' ' || chr(9) || chr(10) || chr(13) from nullif(trim(i.anonymous_id), ''))) = ap.identity
    where
        nullif(trim(i.message_id), '') is not null
        and (try_cast(i.received_at as timestamp) <= $as_of or try_cast(i.received_at as timestamp) is null)
    qualify row_number() over (
        partition by nullif(trim(i.message_id), '')
        order by
            case when passes then 0 else 1 end,
            try_cast(i.received_at as timestamp), try_cast(i."timestamp" as timestamp),
            i.user_id, i.anonymous_id, i."timestamp", i.received_at, i.traits
    ) = 1 and passes
),

stitched as (
    select anonymous_id, arg_max(user_id, (linked_at, received_at, message_id)) as user_id
    from (
        select anonymous_id, user_id, identified_at as linked_at, received_at, message_id
        from kept_identifies
        where anonymous_id is not null
        union all
        select anonymous_id, user_id, event_at, received_at, message_id
        from kept_events
        where anonymous_id is not null and user_id is not null
    )
    group by anonymous_id
),

orders as (
    select
        e.order_id,
        coalesce(e.user_id, s.user_id) as contact_id,
        e.event_at as ordered_at,
        e.total_number as order_total
    from kept_events as e
    left join stitched as s on e.anonymous_id = s.anonymous_id
    where e.event_name = 'Order Completed'
    qualify row_number() over (partition by e.order_id order by e.event_at, e.received_at, e.message_id) = 1
),

refunds as (
    select
        orders.order_id,
        sum(
            case
                when r.total_number is null then orders.order_total
                when r.total_number < 0 then 0
                else r.total_number
            end
        ) as requested
    from orders
    inner join kept_events as r
        on r.event_name = 'Order Refunded' and r.order_id = orders.order_id
    group by orders.order_id
),

measured as (
    select
        orders.contact_id,
        max(orders.ordered_at) as last_order_at,
        count(distinct orders.order_id) as frequency,
        sum(orders.order_total - least(coalesce(refunds.requested, 0), orders.order_total)) as monetary
    from orders
    left join refunds on orders.order_id = refunds.order_id
    where
        orders.contact_id is not null
        and orders.ordered_at > $as_of - cast($lookback_days as bigint) * interval 1 day
        and orders.ordered_at <= $as_of
    group by orders.contact_id
),

scored as (
    select
        *,
        date_diff('day', cast(last_order_at as date), cast($as_of as date)) as recency_days,
        cast(floor(5.0 * (rank() over (order by date_diff('day', cast(last_order_at as date), cast($as_of as date)) desc) - 1) / count(*) over ()) + 1 as integer) as r_score,
        cast(floor(5.0 * (rank() over (order by frequency) - 1) / count(*) over ()) + 1 as integer) as f_score,
        cast(floor(5.0 * (rank() over (order by monetary) - 1) / count(*) over ()) + 1 as integer) as m_score
    from measured
)

select
    scored.contact_id,
    scored.last_order_at,
    cast(scored.recency_days as integer) as recency_days,
    cast(scored.frequency as integer) as frequency,
    cast(scored.monetary as decimal(18, 2)) as monetary,
    scored.r_score,
    scored.f_score,
    scored.m_score,
    cast(scored.r_score as varchar) || cast(scored.f_score as varchar) || cast(scored.m_score as varchar) as rfm_score,
    segment_map.rfm_segment
from scored
left join reference.rfm_segment_map as segment_map
    on scored.r_score = segment_map.r_score and scored.f_score = segment_map.f_score
