{#-
    Yearly series (birthday, anniversary): for each row of `relation` (a CTE name with
    contact_id, a date column and a timezone column already valid for local_to_utc, never
    null), the same month and day in each year at `local_hour`:00 in the contact's own
    time zone, as a UTC anchor_at (DST-correct: the offset of that very day). A Feb 29 date falls on
    Feb 28 in other years (adding whole years clamps to the month's last day on every
    engine). Occurrence N is N whole years after the date; occurrences before `min_years`
    are left out (birthday 1: not the day of birth; anniversary 1: from the first
    anniversary). Only the latest occurrence at or before as_of and the next one after it
    are kept: older ones could only ever be expired, the next one shows as scheduled.
    Adds occurrence_year, years_since, occurrence_date and anchor_at to `relation`'s columns.
-#}
{% macro yearly_local_occurrences(relation, date_column, timezone_column, local_hour, min_years) -%}
    {%- set as_of_year = nudge.as_of_instant().year -%}
    {%- set dated -%}
        select
            years.*,
            cast({{ dbt.dateadd('year', 'years.years_since', 'years.' ~ date_column) }} as date) as occurrence_date
        from (
            select
                {{ relation }}.*,
                cast({{ as_of_year }} + offsets.year_offset as {{ dbt.type_int() }}) as occurrence_year,
                cast(
                    {{ as_of_year }} + offsets.year_offset - extract(year from {{ relation }}.{{ date_column }})
                    as {{ dbt.type_int() }}
                ) as years_since
            from {{ relation }}
            cross join (
                select -1 as year_offset
                union all
                select 0 as year_offset
                union all
                select 1 as year_offset
            ) as offsets
            where {{ relation }}.{{ date_column }} is not null
        ) as years
        where years.years_since >= {{ min_years }}
    {%- endset -%}
    select ranked.*
    from (
        select
            placed.*,
            row_number() over (
                partition by placed.contact_id, placed.anchor_at <= {{ nudge.as_of() }}
                order by placed.anchor_at desc
            ) as past_rank,
            row_number() over (
                partition by placed.contact_id, placed.anchor_at <= {{ nudge.as_of() }}
                order by placed.anchor_at asc
            ) as future_rank
        from (
            select
                dated.*,
                anchors.anchor_at
            from ({{ dated }}) as dated
            {#- converted once per day and zone (a few thousand), not per contact and year #}
            inner join (
                select
                    days.occurrence_date,
                    days.{{ timezone_column }},
                    {#- parenthesized: AT TIME ZONE binds tighter than the + of dateadd -#}
                    {{ nudge.local_to_utc(
                        '(' ~ dbt.dateadd('hour', local_hour, dbt.cast('days.occurrence_date', dbt.type_timestamp())) ~ ')',
                        'days.' ~ timezone_column,
                    ) }} as anchor_at
                from (
                    select distinct
                        dated_days.occurrence_date,
                        dated_days.{{ timezone_column }}
                    from ({{ dated }}) as dated_days
                ) as days
            ) as anchors
                on
                    dated.occurrence_date = anchors.occurrence_date
                    and dated.{{ timezone_column }} = anchors.{{ timezone_column }}
        ) as placed
    ) as ranked
    where
        (ranked.anchor_at <= {{ nudge.as_of() }} and ranked.past_rank = 1)
        or (ranked.anchor_at > {{ nudge.as_of() }} and ranked.future_rank = 1)
{%- endmacro %}
