{{ config(**nudge.incremental_config('contact_id')) }}
{%- set since = nudge.incremental_since(inputs=[ref('int_events_attributed')]) %}

{#-
    One row per contact with attributed events: processed_as_of is the as_of of the last run
    in which the contact's events may have changed (nudge.contacts_with_changed_events: the
    owners of the events int_events_attributed wrote since or whose time came, every user
    linked to a device re-stitched since, every contact with an event of an order parsed
    since). The models incremental per contact read the contacts written after their own
    watermark (nudge.changed_contacts) instead of each working that out again. Keeping only
    the latest change is exact: a contact whose events changed after a model's watermark has
    its latest change after it too, also for a model that skipped runs.
-#}

-- depends_on: {{ ref('stg_identifies__checked') }}
-- depends_on: {{ ref('stg_events__checked') }}
-- depends_on: {{ ref('int_order_events_parsed') }}
-- depends_on: {{ ref('int_anonymous_ids_stitched') }}

{%- set changed = nudge.contacts_with_changed_events(since) %}
{%- set touched = nudge.touched_keys('contact_id', changed) %}

with

{{ touched.cte }}

final as (

    select distinct
        contact_id,
        {{ nudge.as_of() }} as processed_as_of
    from {{ 'touched' if is_incremental() else '(' ~ changed ~ ') as changed' }}
    where contact_id is not null

)

{{ nudge.replace_keys('final', 'contact_id', 'touched', since) }}
