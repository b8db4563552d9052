-- Every model tagged `trigger` has its row in seeds/trigger_catalog.csv (without one its
-- series would expand into no sends at all).
{%- set trigger_keys = [] -%}
{%- for node in nudge.tagged_model_nodes('trigger') -%}
    {%- do trigger_keys.append(nudge.trigger_key_of(node.name)) -%}
{%- endfor %}

with

trigger_models as (

    {% for trigger_key in trigger_keys -%}
        select cast('{{ trigger_key }}' as {{ dbt.type_string() }}) as trigger_key
        {% if not loop.last %}union all{% endif %}
    {% else -%}
        select cast(null as {{ dbt.type_string() }}) as trigger_key where 1 = 0
    {%- endfor %}

)

select trigger_models.trigger_key
from trigger_models
left join {{ ref('trigger_catalog') }} as trigger_catalog
    on trigger_models.trigger_key = trigger_catalog.trigger_key
where trigger_catalog.trigger_key is null
