{#-
    The weekly report's figures as of `as_of`, one row per period, from email_kpi_activity
    (the emails sent in a period, with their engagement and attributed orders, and the
    consent events of its days). Periods, all in whole UTC days up to the day of `as_of`:
    - grain 'day': every day from the first with any activity (at most 999 days back);
    - grain 'week': every ISO week (Monday to Sunday) of those days, the current one so far;
    - grain 'last_N_days' for N in var('kpi_windows_days') (7, 28, 91): the N days ending
      on the day of `as_of` (comparison 'current') and the N days before them ('previous').
    Periods with nothing in them are rows of zeros, so a chart has a point for every day.
    Rates are over the period's delivered emails; revenue_per_recipient is the attributed
    revenue over the contacts emailed in the period; net_list_growth = contacts subscribing
    - contacts leaving the list (unsubscribed, spam complaint, hard bounce), each contact
    counted once a day.
-#}

{%- set dbl = nudge.type_double() %}
{%- set as_of_date = "cast('" ~ nudge.as_of_instant().date().isoformat() ~ "' as date)" %}
{%- set window_rows = [] %}
{%- for days in var('kpi_windows_days', [7, 28, 91]) %}
    {%- do window_rows.append((days, 'current', 0)) %}
    {%- do window_rows.append((days, 'previous', days)) %}
{%- endfor %}

with

activity as (

    select * from {{ ref('email_kpi_activity') }}
    where activity_date <= {{ as_of_date }}

),

digits as (

    {%- for digit in range(10) %}
        {%- if not loop.first %}
            union all
        {%- endif %}
        select {{ digit }} as digit
    {%- endfor %}

),

day_offsets as (

    select ones.digit + 10 * tens.digit + 100 * hundreds.digit as days_back
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds

),

calendar as (

    select
        days_back,
        cast({{ dbt.dateadd('day', '-1 * days_back', as_of_date) }} as date) as kpi_date
    from day_offsets

),

first_day as (

    select min(activity_date) as first_activity_date from activity

),

active_days as (

    select calendar.kpi_date
    from calendar
    inner join first_day
        on calendar.kpi_date >= first_day.first_activity_date

),

weeks as (

    select
        kpi_date,
        cast(
            {{ dbt.dateadd('day', '1 - ' ~ nudge.iso_day_of_week('kpi_date'), 'kpi_date') }}
            as date
        ) as week_start
    from active_days

),

{#- the last_N_days windows: days_back from first_back to last_back, both included #}

windows as (

    {%- for days, comparison, first_back in window_rows %}
        {%- if not loop.first %}
            union all
        {%- endif %}
        select
            'last_{{ days }}_days' as grain,
            '{{ comparison }}' as comparison,
            {{ first_back }} as first_back,
            {{ first_back + days - 1 }} as last_back
    {%- endfor %}

),

{#- every day of every period: (grain, comparison, period_start, period_end, kpi_date) #}

period_days as (

    select
        'day' as grain,
        cast(null as {{ nudge.engine_type('varchar') }}) as comparison,
        kpi_date as period_start,
        kpi_date as period_end,
        kpi_date
    from active_days
    union all
    select
        'week' as grain,
        cast(null as {{ nudge.engine_type('varchar') }}) as comparison,
        week_start as period_start,
        cast({{ dbt.dateadd('day', 6, 'week_start') }} as date) as period_end,
        kpi_date
    from weeks
    union all
    select
        windows.grain,
        windows.comparison,
        cast({{ dbt.dateadd('day', '-1 * windows.last_back', as_of_date) }} as date) as period_start,
        cast({{ dbt.dateadd('day', '-1 * windows.first_back', as_of_date) }} as date) as period_end,
        calendar.kpi_date
    from windows
    inner join calendar
        on calendar.days_back between windows.first_back and windows.last_back

),

aggregated as (

    select
        period_days.grain,
        period_days.comparison,
        period_days.period_start,
        period_days.period_end,
        coalesce(sum(activity.sends), 0) as sends,
        count(distinct case when activity.sends > 0 then activity.contact_id end) as recipients,
        coalesce(sum(activity.delivered), 0) as delivered,
        coalesce(sum(activity.opens), 0) as opens,
        coalesce(sum(activity.clicks), 0) as clicks,
        coalesce(sum(activity.unsubscribes), 0) as unsubscribes,
        coalesce(sum(activity.attributed_orders), 0) as attributed_orders,
        coalesce(sum(activity.attributed_revenue), 0) as attributed_revenue,
        coalesce(sum(activity.subscribed), 0) as new_subscribers,
        coalesce(sum(activity.left_list), 0) as lost_subscribers
    from period_days
    left join activity
        on period_days.kpi_date = activity.activity_date
    group by
        period_days.grain,
        period_days.comparison,
        period_days.period_start,
        period_days.period_end

)

select
    grain
    || '|' || cast(period_start as {{ nudge.engine_type('varchar') }}) as kpi_key,
    grain,
    comparison,
    period_start,
    period_end,
    cast(sends as {{ dbt.type_int() }}) as sends,
    cast(recipients as {{ dbt.type_int() }}) as recipients,
    cast(delivered as {{ dbt.type_int() }}) as delivered,
    cast(opens as {{ dbt.type_int() }}) as opens,
    cast(clicks as {{ dbt.type_int() }}) as clicks,
    cast(unsubscribes as {{ dbt.type_int() }}) as unsubscribes,
    cast(attributed_orders as {{ dbt.type_int() }}) as attributed_orders,
    cast(attributed_revenue as decimal(18, 2)) as attributed_revenue,
    cast(new_subscribers as {{ dbt.type_int() }}) as new_subscribers,
    cast(lost_subscribers as {{ dbt.type_int() }}) as lost_subscribers,
    cast(new_subscribers - lost_subscribers as {{ dbt.type_int() }}) as net_list_growth,
    cast(cast(opens as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as open_rate,
    cast(cast(clicks as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as click_through_rate,
    cast(cast(unsubscribes as {{ dbl }}) / nullif(delivered, 0) as decimal(18, 6)) as unsubscribe_rate,
    cast(cast(attributed_revenue as {{ dbl }}) / nullif(recipients, 0) as decimal(18, 2))
        as revenue_per_recipient,
    {{ nudge.as_of() }} as as_of
from aggregated
