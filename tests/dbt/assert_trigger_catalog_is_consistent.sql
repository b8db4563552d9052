-- seeds/trigger_catalog.csv: delays are 0 or more and increase from step to step, a step
-- exists only after the one before it, the incentive step is one of the trigger's steps,
-- re-entry days are 0 or more, variant_b_pct and sto_pct are percentages and a trigger with
-- send-time optimization names one of its steps as the first it may move.
select trigger_key
from {{ ref('trigger_catalog') }}
where
    step_1_delay_minutes < 0
    or step_2_delay_minutes <= step_1_delay_minutes
    or step_3_delay_minutes <= step_2_delay_minutes
    or (step_3_delay_minutes is not null and step_2_delay_minutes is null)
    or (incentive_step is not null and incentive_step not in (1, 2, 3))
    or (incentive_step = 2 and step_2_delay_minutes is null)
    or (incentive_step = 3 and step_3_delay_minutes is null)
    or reentry_days < 0
    or variant_b_pct < 0
    or variant_b_pct > 100
    or sto_pct < 0
    or sto_pct > 100
    or (sto_pct > 0 and sto_from_step is null)
    or (sto_from_step is not null and sto_from_step not in (1, 2, 3))
    or (sto_from_step = 2 and step_2_delay_minutes is null)
    or (sto_from_step = 3 and step_3_delay_minutes is null)
