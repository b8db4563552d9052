"""Predictions per contact from a buy-till-you-die model: BG/NBD for how many orders a contact
will place and whether they are still a customer, Gamma-Gamma for what an order is worth,
fitted with `lifetimes` on the warehouse's order history (docs/predictions.md)."""
