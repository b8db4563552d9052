-- Equal recency, frequency or monetary values always get equal scores,
-- and a better value never gets a lower score.
with

rfm as (

    select * from {{ ref('contact_rfm') }}

),

scores as (

    select
        'recency' as measure,
        -1 * recency_days as measured_value,
        r_score as score
    from rfm
    union all
    select
        'frequency' as measure,
        frequency as measured_value,
        f_score as score
    from rfm
    union all
    select
        'monetary' as measure,
        monetary as measured_value,
        m_score as score
    from rfm

),

per_value as (

    select
        measure,
        measured_value,
        min(score) as min_score,
        max(score) as max_score
    from scores
    group by measure, measured_value

),

tie_failures as (

    select
        measure,
        measured_value,
        'tie with different scores' as failure
    from per_value
    where min_score <> max_score

),

order_failures as (

    select
        better.measure,
        better.measured_value,
        'better value, lower score' as failure
    from per_value as better
    inner join per_value as worse
        on
            better.measure = worse.measure
            and better.measured_value > worse.measured_value
            and better.min_score < worse.max_score

)

select * from tie_failures
union all
select * from order_failures
