{{ config(**nudge.incremental_config('contact_id')) }}

{#-
    One row per send (contact_id, trigger_key, series_id, step) of every trigger's series,
    with everything about it that does not depend on when it is looked at or on the
    contact's state: the series of every model tagged `trigger`
    (models/marts/triggers/definitions/) filtered for re-entry, expanded into steps with
    seeds/trigger_catalog.csv, deferred out of quiet hours, given their send-time
    optimization arm and send_after, expiry, holdout, variant and payload
    (macros/triggers/). triggered_sends gives each its status as of `as_of`.
    Adding a trigger is adding its model, its catalog row and its depends_on line below
    (kept alphabetical): dbt learns a model's upstream models while parsing, before the graph
    the macro reads exists, and the build fails naming any trigger model missing here.

    Incremental per contact: a run recomputes the sends of the contacts whose inputs changed
    since the last one, found by fingerprint (macros/cross_db/fingerprint.sql): their series
    rows, time zone or preferred send hour (inputs_fingerprint); every contact when the
    catalog, the population's send hour or the SQL of this pipeline or of triggered_sends
    (vars included) changed (settings_fingerprint).
-#}

-- depends_on: {{ ref('trigger_anniversary') }}
-- depends_on: {{ ref('trigger_at_risk_checkin') }}
-- depends_on: {{ ref('trigger_back_in_stock') }}
-- depends_on: {{ ref('trigger_birthday') }}
-- depends_on: {{ ref('trigger_browse_abandonment') }}
-- depends_on: {{ ref('trigger_cart_abandonment') }}
-- depends_on: {{ ref('trigger_category_interest') }}
-- depends_on: {{ ref('trigger_content_followup') }}
-- depends_on: {{ ref('trigger_cross_sell') }}
-- depends_on: {{ ref('trigger_post_purchase_review') }}
-- depends_on: {{ ref('trigger_price_drop') }}
-- depends_on: {{ ref('trigger_reengagement') }}
-- depends_on: {{ ref('trigger_replenishment') }}
-- depends_on: {{ ref('trigger_review_thanks') }}
-- depends_on: {{ ref('trigger_sunset') }}
-- depends_on: {{ ref('trigger_support_followup') }}
-- depends_on: {{ ref('trigger_vip_welcome') }}
-- depends_on: {{ ref('trigger_welcome') }}
-- depends_on: {{ ref('trigger_winback') }}

{#- rendered once: it reads every trigger table's columns -#}
{%- set series_rows = nudge.trigger_series_rows() %}
{%- set series_columns = ['trigger_key'] + (nudge.trigger_series_columns() | map(attribute=0) | list) + ['trigger_model'] %}
{#- every catalog column (none known while parsing or compiling offline: the key alone) -#}
{%- set catalog_columns = (adapter.get_columns_in_relation(ref('trigger_catalog')) | map(attribute='name') | list) or ['trigger_key'] %}

{#- the pipeline's SQL, rendered once: used below and fingerprinted (settings_fingerprint) -#}
{%- set reentry_filtered = nudge.trigger_series_reentry_filtered('touched_series', 'touched_series_keys', 'catalog') %}
{%- set expanded = nudge.trigger_series_steps('kept_series', 'catalog') %}
{%- set send_key = nudge.trigger_send_key('steps.contact_id', 'steps.trigger_key', 'steps.series_id', 'steps.step') %}
{%- set deferral = nudge.quiet_hours_deferred('located', 'scheduled_at', 'timezone', 'quiet_hours_opt_out') %}
{%- set optimization = nudge.send_time_optimized('deferred', 'preferred_hours', 'population_hour') %}
{%- set expiry = nudge.send_expires_at('due_at') %}
{%- set holdout = nudge.is_held_out('contact_id', 'trigger_key') %}
{%- set variant = nudge.ab_variant('contact_id', 'trigger_key', 'variant_b_pct') %}
{%- set payload = nudge.json_object_prepend('payload', 'incentive', nudge.json_boolean('is_incentive')) %}
{#- triggered_sends copies these rows into the ones it rewrites: its own SQL counts too -#}
{%- set sends_model = graph.nodes.get('model.nudge.triggered_sends') if execute else none %}
{%- set logic = [
    model.raw_code, sends_model.raw_code if sends_model else '',
    reentry_filtered, expanded, send_key, deferral, optimization, expiry, holdout, variant, payload,
] | join('\n') %}

{%- set fingerprints -%}
    select
        series_fingerprints.contact_id,
        {{ nudge.row_fingerprint([
            'series_fingerprints.series_fingerprint',
            "coalesce(timezones.timezone, 'UTC')",
            'preferred_hours.preferred_send_hour',
        ]) }} as inputs_fingerprint
    from (
        select
            contact_id,
            {{ nudge.fingerprint_agg(nudge.row_fingerprint(series_columns)) }} as series_fingerprint
        from ({{ series_rows }}) as series
        where __touched__
        group by contact_id
    ) as series_fingerprints
    left join {{ ref('int_contact_timezones_resolved') }} as timezones
        on series_fingerprints.contact_id = timezones.contact_id
    left join {{ ref('int_send_hours_preferred') }} as preferred_hours
        on series_fingerprints.contact_id = preferred_hours.contact_id
{%- endset %}

{%- set settings -%}
    select
        {{ nudge.row_fingerprint([
            "'" ~ local_md5(logic) ~ "'",
            'catalog_fingerprint',
            '(select max(population_send_hour) from ' ~ ref('int_send_hours_preferred_population') ~ ')',
        ]) }} as settings_fingerprint
    from (
        select {{ nudge.fingerprint_agg(nudge.row_fingerprint(catalog_columns)) }} as catalog_fingerprint
        from {{ ref('trigger_catalog') }}
    ) as catalog_rows
{%- endset %}

{#- the contacts whose fingerprint differs from the one their rows carry (or who have rows
    on one side only), every contact when the settings' fingerprint differs -#}
{%- set touched -%}
    select coalesce(now_held.contact_id, last_held.contact_id) as contact_id
    from ({{ fingerprints.replace('__touched__', 'true') }}) as now_held
    full outer join (
        select distinct contact_id, inputs_fingerprint, settings_fingerprint
        from {{ this }}
    ) as last_held
        on now_held.contact_id = last_held.contact_id
    cross join ({{ settings }}) as settings
    where
        now_held.contact_id is null
        or last_held.contact_id is null
        or now_held.inputs_fingerprint <> last_held.inputs_fingerprint
        or last_held.settings_fingerprint <> settings.settings_fingerprint
{%- endset %}
{%- set touched_contacts = nudge.keys_found('contact_id', touched) %}
{%- set is_touched = nudge.keys_in('contact_id', touched_contacts, touched) if is_incremental() else 'true' %}

with

touched_series as (

    select * from ({{ series_rows }}) as series
    where {{ is_touched }}

),

-- the same rows again, for the re-entry window to read only their keys
touched_series_keys as (

    select * from ({{ series_rows }}) as series
    where {{ is_touched }}

),

catalog as (

    select * from {{ ref('trigger_catalog') }}

),

kept_series as (

    {{ reentry_filtered }}

),

steps as (

    {{ expanded }}

),

timezones as (

    select * from {{ ref('int_contact_timezones_resolved') }}

),

located as (

    select
        steps.*,
        {{ send_key }} as send_key,
        coalesce(timezones.timezone, 'UTC') as timezone
    from steps
    left join timezones
        on steps.contact_id = timezones.contact_id

),

deferred as (

    {{ deferral }}

),

preferred_hours as (

    select * from {{ ref('int_send_hours_preferred') }}

),

population_hour as (

    select * from {{ ref('int_send_hours_preferred_population') }}

),

optimized as (

    {{ optimization }}

),

fingerprints as (

    {{ fingerprints.replace('__touched__', is_touched) }}

),

pipeline_settings as (

    {{ settings }}

),

sends as (

    select
        optimized.*,
        fingerprints.inputs_fingerprint,
        pipeline_settings.settings_fingerprint
    from optimized
    inner join fingerprints
        on optimized.contact_id = fingerprints.contact_id
    cross join pipeline_settings

),

final as (

    select
        cast(send_key as {{ dbt.type_string() }}) as send_key,
        contact_id,
        trigger_key,
        series_id,
        cast(step as {{ dbt.type_int() }}) as step,
        anchor_at,
        scheduled_at,
        due_at,
        send_after,
        cast(send_time_arm as {{ dbt.type_string() }}) as send_time_arm,
        {{ expiry }} as expires_at,
        cancelled_at,
        cancel_reason,
        {{ holdout }} as is_held_out,
        cast({{ variant }} as {{ dbt.type_string() }}) as variant,
        cast(priority as {{ dbt.type_int() }}) as priority,
        esp_metric,
        cast(topic as {{ dbt.type_string() }}) as topic,
        cast({{ payload }} as {{ dbt.type_string() }}) as payload,
        is_incentive,
        timezone,
        cast(quiet_hours_opt_out as {{ dbt.type_boolean() }}) as quiet_hours_opt_out,
        trigger_model,
        inputs_fingerprint,
        settings_fingerprint,
        {{ nudge.as_of() }} as processed_as_of
    from sends

){%- if is_incremental() %},

-- the touched contacts with rows now or before (the others have nothing to replace)
affected as (

    select contact_id from final
    union
    select contact_id from {{ this }}
    where {{ is_touched }}

)
{%- endif %}

{{ nudge.replace_keys('final', 'contact_id', 'affected', nudge.as_of_instant()) }}
