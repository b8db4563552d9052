{#-
    RFM per contact with at least one order in (as_of − rfm_lookback_days, as_of]
    (docs/contracts/behaviors.md). Scores 1–5, 5 best, ties share a score.
-#}

with

orders as (

    select * from {{ ref('int_orders_netted') }}
    where
        contact_id is not null
        and ordered_at > {{ dbt.dateadd('day', -1 * var('rfm_lookback_days'), nudge.as_of()) }}
        and ordered_at <= {{ nudge.as_of() }}

),

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

measured as (

    select
        contact_id,
        max(ordered_at) as last_order_at,
        count(distinct order_id) as frequency,
        sum(net_total) as monetary
    from orders
    group by contact_id

),

scored as (

    select
        contact_id,
        last_order_at,
        {{ nudge.days_between('last_order_at', nudge.as_of()) }}             as recency_days,
        frequency,
        monetary,
        {{ nudge.rank_score(nudge.days_between('last_order_at', nudge.as_of()) ~ ' desc') }} as r_score,
        {{ nudge.rank_score('frequency') }} as f_score,
        {{ nudge.rank_score('monetary') }} as m_score
    from measured

)

select
    scored.contact_id,
    scored.last_order_at,
    cast(scored.recency_days as {{ dbt.type_int() }}) as recency_days,
    cast(scored.frequency as {{ dbt.type_int() }}) as frequency,
    cast(scored.monetary as decimal(18, 2)) as monetary,
    scored.r_score,
    scored.f_score,
    scored.m_score,
    {{ dbt.concat([
        dbt.cast('scored.r_score', dbt.type_string()),
        dbt.cast('scored.f_score', dbt.type_string()),
        dbt.cast('scored.m_score', dbt.type_string()),
    ]) }} as rfm_score,
    segment_map.rfm_segment
from scored
left join segment_map
    on
        scored.r_score = segment_map.r_score
        and scored.f_score = segment_map.f_score
