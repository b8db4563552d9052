{#- rfm_<segment>: every RFM segment of contact_rfm (seeds/rfm_segment_map.csv) is a segment. -#}

with

rfm as (

    select * from {{ ref('contact_rfm') }}

)

select
    {{ dbt.concat(["'rfm_'", 'rfm_segment']) }} as segment_key,
    contact_id,
    rfm_score
from rfm
where rfm_segment is not null
