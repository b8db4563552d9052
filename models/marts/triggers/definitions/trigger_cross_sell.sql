{#-
    cross_sell: every completed order of a contact (any channel), anchored when it was
    placed; series_id = order_id. Payload: up to var trigger_recommended_products (3) in-stock
    products most often bought together with the order's products (int_product_pairs_counted,
    every contact's orders up to `as_of`; summed over the order's products, ties by
    product_id), never one of the order's own; an order with no such product is no series.
    Cancelled ('order_completed') by the contact's next order.
    Performance (same result as ranking every partner of every order): recommendations
    depend only on the order's set of products (its basket), which many orders share, so
    they are ranked once per basket (basket_id: the basket's first order_id). A basket's
    score for a product is the sum of its pair counts with the basket's products; rather
    than scoring every partner of every basket product (baskets × partners per product),
    a few seeds set a bar first: each basket product's best partners, enough that at
    least N (var trigger_recommended_products) are not in the basket, scored in full.
    Their Nth best (score, product_id) ranks no better than the basket's Nth best, so a
    recommended product scores above the bar, or exactly the bar with a product_id not
    after the bar's (ties go by product_id): it has a pair count of at least that score /
    basket size with one of the basket's products (its score is a sum of basket size
    counts). Only those contenders are scored in full, and only the ones whose full score
    still reaches the bar are ranked, which gives the same N in the same order; most pair
    counts are 1, so the tie rule alone halves the contenders. A contender's pair count is
    at least bar / basket size, so each basket joins only the pairs at or above its floor
    (the largest of 1, 2, 4, 8, 16 that bar / basket size exceeds less one): a popular
    product's thousands of once-bought pairs are not joined to the baskets whose bar they
    cannot reach (42M → 6M joined rows at 100,000 contacts).
-#}

{%- set recommendations = var('trigger_recommended_products') %}
{%- set pair_floors = [1, 2, 4, 8, 16] %}

with

orders as (

    select
        order_id,
        contact_id,
        ordered_at,
        lead(ordered_at) over (
            partition by contact_id
            order by ordered_at, order_id
        ) as next_ordered_at
    from {{ ref('int_orders_netted') }}
    where
        contact_id is not null
        and ordered_at <= {{ nudge.as_of() }}

),

order_products as (

    select distinct
        order_id,
        product_id
    from {{ ref('int_order_lines_unnested') }}
    where ordered_at <= {{ nudge.as_of() }}

),

bought as (

    select
        order_id,
        {{ nudge.json_array_agg_text(nudge.json_value_text('product_id', 'string'), 'product_id') }} as product_ids
    from order_products
    group by order_id

),

baskets as (

    select
        product_ids,
        min(order_id) as basket_id
    from bought
    group by product_ids

),

basket_products as (

    select
        order_products.order_id as basket_id,
        order_products.product_id
    from order_products
    inner join baskets
        on order_products.order_id = baskets.basket_id

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
        ) as pick_rank
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

recommended as (

    select
        ranked.basket_id,
        {{ nudge.json_array_agg_text(
            nudge.json_object_text([
                ('product_id', 'ranked.product_id', 'string'),
                ('name', 'products.product_name', 'string'),
                ('price', 'products.price', 'number'),
                ('image_url', 'products.image_url', 'string'),
                ('url', 'products.product_url', 'string'),
                ('bought_together', 'cast(ranked.score as ' ~ dbt.type_int() ~ ')', 'number'),
            ]),
            'ranked.pick_rank',
        ) }} as recommended_products
    from ranked
    inner join products
        on ranked.product_id = products.product_id
    where ranked.pick_rank <= {{ recommendations }}
    group by ranked.basket_id

)

select
    orders.contact_id,
    'cross_sell' as trigger_key,
    orders.order_id as series_id,
    orders.ordered_at as anchor_at,
    orders.next_ordered_at as cancelled_at,
    case when orders.next_ordered_at is not null then 'order_completed' end as cancel_reason,
    cast(null as {{ dbt.type_string() }}) as reentry_key,
    {{ nudge.json_object_text([
        ('order_id', 'orders.order_id', 'string'),
        ('ordered_at', nudge.timestamp_key('orders.ordered_at'), 'string'),
        ('bought_product_ids', 'bought.product_ids', 'json'),
        ('recommended_products', 'recommended.recommended_products', 'json'),
    ]) }} as payload
from orders
inner join bought
    on orders.order_id = bought.order_id
inner join baskets
    on bought.product_ids = baskets.product_ids
inner join recommended
    on baskets.basket_id = recommended.basket_id
