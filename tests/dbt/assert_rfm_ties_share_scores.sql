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

-- the highest score among the worse values of the measure, per value: one ordered pass
-- instead of a join of every value with every worse one
best_worse_scores as (

    select
        measure,
        measured_value,
        min_score,
        max(max_score) over (
            partition by measure
            order by measured_value
            rows between unbounded preceding and 1 preceding
        ) as best_worse_score
    from per_value
    where measured_value is not null

),

order_failures as (

    select
        measure,
        measured_value,
        'better value, lower score' as failure
    from best_worse_scores
    where min_score < best_worse_score

)

select * from tie_failures
union all
select * from order_failures
