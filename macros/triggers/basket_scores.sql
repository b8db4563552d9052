{#-
    Cross-sell's score (int_basket_recommendations_ranked) of each (basket_id, product_id)
    in `picks`: the sum, over the basket's products, of the orders holding both
    (eligible_pairs). Used for the bar's seeds and again for the contenders that can reach it.
-#}
{% macro basket_scores(picks) -%}
    select
        {{ picks }}.basket_id,
        {{ picks }}.product_id,
        sum(eligible_pairs.orders_together) as score
    from {{ picks }}
    inner join basket_products
        on {{ picks }}.basket_id = basket_products.basket_id
    inner join eligible_pairs
        on
            basket_products.product_id = eligible_pairs.product_id
            and {{ picks }}.product_id = eligible_pairs.paired_product_id
    group by {{ picks }}.basket_id, {{ picks }}.product_id
{%- endmacro %}
