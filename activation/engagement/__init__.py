"""ESP engagement back into the warehouse: deliveries, opens, clicks, bounces, unsubscribes
and spam complaints read from the ESP (Klaviyo's events, Customer.io's messages, Mailchimp's
email activity; readers.py) land in ``raw.events`` as the raw contract's ESP feedback
events, incrementally and idempotently, each attributed to its send.

    result = pull_engagement("warehouse/nudge.duckdb", klaviyo_settings())
"""

from .pull import EngagementPullResult, pull_engagement

__all__ = ["EngagementPullResult", "pull_engagement"]
