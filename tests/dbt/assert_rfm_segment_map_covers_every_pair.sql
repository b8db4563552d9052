-- seeds/rfm_segment_map.csv maps each (r_score, f_score) in 1..5 × 1..5 exactly once.
with

scores as (

    select 1 as score
    union all
    select 2 as score
    union all
    select 3 as score
    union all
    select 4 as score
    union all
    select 5 as score

),

pairs as (

    select
        r.score as r_score,
        f.score as f_score
    from scores as r
    cross join scores as f

),

mapped as (

    select
        r_score,
        f_score,
        count(*) as mappings
    from {{ ref('rfm_segment_map') }}
    group by r_score, f_score

)

select
    pairs.r_score,
    pairs.f_score,
    coalesce(mapped.mappings, 0) as mappings
from pairs
left join mapped
    on
        pairs.r_score = mapped.r_score
        and pairs.f_score = mapped.f_score
where coalesce(mapped.mappings, 0) <> 1
