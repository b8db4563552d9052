{{ config(**nudge.incremental_config('basket_product_ids')) }}
{%- set since = nudge.incremental_since() %}

{#-
    Cross-sell's recommendations (models/marts/triggers/definitions/trigger_cross_sell.sql)
    per basket, the set of products of an order up to `as_of` (basket_product_ids: the
    order's bought_product_ids, which many orders share): up to var
    trigger_recommended_products (3) in-stock products most often bought together with the
    basket's products (int_product_pairs_counted, summed over the basket's products, ties by
    product_id), never one of its own. A basket with no such product keeps one row without
    a product, so that it is not ranked again.
    Incremental per basket: a basket's ranking depends only on its products' eligible pairs
    (partner in stock, count) and the var, so each row holds a hash of those
    (basket_fingerprint) and a run re-ranks only the baskets whose hash changed or that are
    new: those holding a product of an order placed, changed or cancelled since, or a
    partner of a product whose stock changed; a basket no order has any more loses its rows.
    Performance (same result as scoring every partner of every basket): rather than scoring
    every partner of every basket product (baskets × partners per product), a few seeds set
    a bar first: each basket product's best partners, enough that at least N (var
    trigger_recommended_products) are not in the basket, scored in full. Their Nth best
    (score, product_id) ranks no better than the basket's Nth best, so a recommended product
    scores above the bar, or exactly the bar with a product_id not after the bar's (ties go
    by product_id): it has a pair count of at least that score / basket size with one of
    the basket's products (its score is a sum of basket size counts). Only those contenders
    are scored in full, and only the ones whose full score still reaches the bar are
    ranked, which gives the same N in the same order; most pair counts are 1, so the tie
    rule alone halves the contenders. A contender's pair count is at least bar / basket
    size, so each basket joins only the pairs at or above its floor (the largest of 1, 2,
    4, 8, 16 that bar / basket size exceeds less one): a popular product's thousands of
    once-bought pairs are not joined to the baskets whose bar they cannot reach (42M → 6M
    joined rows at 100,000 contacts).
-#}

{%- set recommendations = var('trigger_recommended_products') %}
{%- set pair_floors = [1, 2, 4, 8, 16] %}

with

every_basket as (

    select
        basket_product_ids,
        min(order_id) as basket_id
    from {{ ref('int_order_baskets_listed') }}
    group by basket_product_ids

),

every_basket_product as (

    select distinct
        order_lines.order_id as basket_id,
        order_lines.product_id
    from {{ ref('int_order_lines_unnested') }} as order_lines
    inner join every_basket
        on order_lines.order_id = every_basket.basket_id

),

products as (

    select * from {{ ref('int_products_current') }}

),

-- the pairs whose partner may be recommended: a current product in stock
eligible_pairs as (

    select
        pairs.product_id,
        pairs.paired_product_id,
        pairs.orders_together
    from {{ ref('int_product_pairs_counted') }} as pairs
    inner join products
        on pairs.paired_product_id = products.product_id
    where coalesce(products.stock_quantity, 1) > 0

),

partner_fingerprints as (

    select
        product_id,
        {{ nudge.fingerprint_agg(nudge.row_fingerprint(['paired_product_id', 'orders_together'])) }} as partners_fingerprint
    from eligible_pairs
    group by product_id

),

basket_fingerprints as (

    select
        every_basket.basket_id,
        every_basket.basket_product_ids,
        {{ nudge.row_fingerprint([
            "'" ~ recommendations ~ "'",
            nudge.fingerprint_agg(nudge.row_fingerprint([
                'every_basket_product.product_id', 'partner_fingerprints.partners_fingerprint'
            ])),
        ]) }} as basket_fingerprint
    from every_basket
    inner join every_basket_product
        on every_basket.basket_id = every_basket_product.basket_id
    left join partner_fingerprints
        on every_basket_product.product_id = partner_fingerprints.product_id
    group by every_basket.basket_id, every_basket.basket_product_ids

),

{% if is_incremental() -%}
    -- the baskets to recompute
    affected as (

        {{ nudge.keys_with_changed_fingerprint('basket_fingerprints', 'basket_product_ids', 'basket_fingerprint', since) }}

    ),
{%- endif %}

baskets as (

    select basket_fingerprints.*
    from basket_fingerprints
    {%- if since is not none %}
        inner join affected
            on basket_fingerprints.basket_product_ids = affected.basket_product_ids
    {%- endif %}

),

basket_products as (

    select every_basket_product.*
    from every_basket_product
    inner join baskets
        on every_basket_product.basket_id = baskets.basket_id

),

partner_ranks as (

    select
        product_id,
        paired_product_id,
        orders_together,
        row_number() over (
            partition by product_id
            order by orders_together desc, paired_product_id asc
        ) as partner_rank
    from eligible_pairs

),

basket_sizes as (

    select
        basket_id,
        count(*) as basket_size
    from basket_products
    group by basket_id

),

seeds as (

    select distinct
        basket_products.basket_id,
        partner_ranks.paired_product_id as product_id
    from basket_products
    inner join basket_sizes
        on basket_products.basket_id = basket_sizes.basket_id
    inner join partner_ranks
        on
            basket_products.product_id = partner_ranks.product_id
            and partner_ranks.partner_rank < {{ recommendations }} + basket_sizes.basket_size
    left join basket_products as already_bought
        on
            basket_products.basket_id = already_bought.basket_id
            and partner_ranks.paired_product_id = already_bought.product_id
    where already_bought.product_id is null

),

seed_scores as (

    {{ nudge.basket_scores('seeds') }}

),

seed_ranks as (

    select
        basket_id,
        product_id,
        score,
        row_number() over (
            partition by basket_id
            order by score desc, product_id asc
        ) as seed_rank
    from seed_scores

),

-- the bar: the Nth best seed's score and product_id; 0 and null (score every partner) for
-- a basket with fewer seeds
bars as (

    select
        basket_sizes.basket_id,
        basket_sizes.basket_size,
        case
            when count(seed_ranks.score) = {{ recommendations }} then min(seed_ranks.score)
            else 0
        end as bar,
        max(case when seed_ranks.seed_rank = {{ recommendations }} then seed_ranks.product_id end) as bar_product_id
    from basket_sizes
    left join seed_ranks
        on
            basket_sizes.basket_id = seed_ranks.basket_id
            and seed_ranks.seed_rank <= {{ recommendations }}
    group by basket_sizes.basket_id, basket_sizes.basket_size

),

-- each basket's pair floor: the largest of pair_floors with bar > (floor - 1) * basket_size;
-- a contender's count * basket_size >= bar then makes its count at least that floor
floored_bars as (

    select
        basket_id,
        basket_size,
        bar,
        bar_product_id,
        case
            {% for floor in pair_floors | reverse if floor > 1 -%}
                when bar > {{ floor - 1 }} * basket_size then {{ floor }}
            {% endfor -%}
            else 1
        end as pair_floor
    from bars

),

-- each eligible pair once per floor it reaches
floored_pairs as (

    {% for floor in pair_floors -%}
        select
            product_id,
            paired_product_id,
            orders_together,
            {{ floor }} as pair_floor
        from eligible_pairs
        where orders_together >= {{ floor }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

contenders as (

    select distinct
        basket_products.basket_id,
        floored_pairs.paired_product_id as product_id
    from basket_products
    inner join floored_bars
        on basket_products.basket_id = floored_bars.basket_id
    inner join floored_pairs
        on
            basket_products.product_id = floored_pairs.product_id
            and floored_bars.pair_floor = floored_pairs.pair_floor
            and floored_pairs.orders_together * floored_bars.basket_size
            >= floored_bars.bar + case when floored_bars.bar_product_id < floored_pairs.paired_product_id then 1 else 0 end
    left join basket_products as already_bought
        on
            basket_products.basket_id = already_bought.basket_id
            and floored_pairs.paired_product_id = already_bought.product_id
    where already_bought.product_id is null

),

candidates as (

    {{ nudge.basket_scores('contenders') }}

),

-- only a candidate ranking no worse than the bar can be among the N
ranked as (

    select
        candidates.basket_id,
        candidates.product_id,
        candidates.score,
        row_number() over (
            partition by candidates.basket_id
            order by candidates.score desc, candidates.product_id asc
        ) as recommendation_rank
    from candidates
    inner join bars
        on candidates.basket_id = bars.basket_id
    where
        candidates.score > bars.bar
        or (
            candidates.score = bars.bar
            and (bars.bar_product_id is null or candidates.product_id <= bars.bar_product_id)
        )

),

final as (

    select
        baskets.basket_product_ids,
        ranked.recommendation_rank,
        ranked.product_id,
        cast(ranked.score as {{ dbt.type_int() }}) as bought_together,
        baskets.basket_fingerprint,
        {{ nudge.as_of() }} as processed_as_of
    from baskets
    left join ranked
        on
            baskets.basket_id = ranked.basket_id
            and ranked.recommendation_rank <= {{ recommendations }}

)

{{ nudge.replace_keys('final', 'basket_product_ids', 'affected', since) }}
