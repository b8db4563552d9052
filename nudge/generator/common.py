"""Shared constants and small vectorized helpers for the sample-data generator.

Every generated column is an ``int64`` numpy array while the data is being simulated;
``NULL`` marks a missing value. Codes (event names, channels, categories, ...) index the
lists defined here and become Arrow dictionary columns in the writer.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

NULL = np.iinfo(np.int64).min
MINUTE = 60
HOUR = 3600
DAY = 86_400
BLOCK_CONTACTS = 5_000  # contacts per generation block (fixed: part of the data definition)
VISITOR_SHARE = 0.15  # anonymous-only visitors per contact

EVENTS = [
    "Page Viewed",
    "Products Searched",
    "Product List Viewed",
    "Product Viewed",
    "Product Added",
    "Product Removed",
    "Checkout Started",
    "Order Completed",
    "Order Refunded",
    "Coupon Applied",
    "Product Added to Wishlist",
    "Product Reviewed",
    "Signed Up",
    "Subscribed",
    "Unsubscribed",
    "Content Downloaded",
    "Ticket Created",
    "Application Opened",
    "Email Delivered",
    "Email Opened",
    "Email Link Clicked",
    "Email Bounced",
    "Email Marked as Spam",
    "Email Preferences Updated",
    "Video Played",  # not in the catalog: kept and counted downstream
]
EV = {name: code for code, name in enumerate(EVENTS)}
KNOWN_EVENTS = EVENTS[:-1]

CHANNELS = ["web", "app", "store", "email"]
CH = {name: code for code, name in enumerate(CHANNELS)}

CATEGORIES = [
    "coffee",
    "tea",
    "skincare",
    "haircare",
    "apparel",
    "shoes",
    "home",
    "kitchen",
    "electronics",
    "books",
    "toys",
    "pet",
]
CATEGORY_WEIGHTS = np.array([10, 6, 9, 6, 12, 7, 8, 8, 9, 7, 6, 7], dtype=np.float64)
# median list price in cents and log-normal spread, per category
CATEGORY_PRICE = np.array(
    [1800, 1400, 3200, 2200, 4500, 9000, 5500, 3800, 12000, 1800, 2800, 2600], dtype=np.float64
)
REPLENISHMENT_DAYS = np.array(
    [30, 45, 60, 45, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 30], dtype=np.int64
)
CONSUMABLE = np.flatnonzero(REPLENISHMENT_DAYS != NULL)

# (IANA zone, UTC offset in hours without DST, country, city)
TIMEZONES = [
    ("America/New_York", -5, "US", "New York"),
    ("America/Chicago", -6, "US", "Chicago"),
    ("America/Denver", -7, "US", "Denver"),
    ("America/Los_Angeles", -8, "US", "Los Angeles"),
    ("America/Toronto", -5, "CA", "Toronto"),
    ("America/Sao_Paulo", -3, "BR", "Sao Paulo"),
    ("Europe/London", 0, "GB", "London"),
    ("Europe/Berlin", 1, "DE", "Berlin"),
    ("Europe/Paris", 1, "FR", "Paris"),
    ("Asia/Tokyo", 9, "JP", "Tokyo"),
    ("Asia/Singapore", 8, "SG", "Singapore"),
    ("Australia/Sydney", 10, "AU", "Sydney"),
]
TZ_WEIGHTS = np.array([22, 12, 5, 14, 5, 3, 9, 7, 5, 6, 3, 9], dtype=np.float64)
TZ_OFFSET = np.array([tz[1] * HOUR for tz in TIMEZONES], dtype=np.int64)

# local hour-of-day activity profile (evening heavy)
HOUR_WEIGHTS = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 3.5, 3.5, 4, 5, 4.5, 4, 4, 4.5, 5, 6, 7.5, 8, 7, 5, 2.5],
    dtype=np.float64,
)


def splitmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """A bijective 64-bit mix: distinct inputs give distinct outputs."""
    z = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z += np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return z


def message_keys(seed: int, table: int, block: int, n: int) -> I64:
    """Unique-per-(seed, table, block, row) 64-bit keys, stored as int64 (bit pattern)."""
    rows = np.arange(n, dtype=np.uint64)
    counter = (np.uint64(table) << np.uint64(60)) | (np.uint64(block) << np.uint64(32)) | rows
    salt = splitmix64(np.array([seed], dtype=np.uint64))[0]
    return splitmix64(counter ^ salt).view(np.int64)


def repeat_arange(lengths: I64) -> I64:
    """For lengths [2, 0, 3] return [0, 1, 0, 1, 2]."""
    lengths = lengths.astype(np.int64)
    starts = np.cumsum(lengths) - lengths
    return np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(starts, lengths)


def group_first(sorted_keys: I64) -> B:
    """True where a new group starts in an array sorted by key."""
    first = np.ones(sorted_keys.shape[0], dtype=bool)
    first[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return first


def weighted_choice(rng: np.random.Generator, weights: F64, size: int) -> I64:
    """Draw codes 0..len(weights)-1 with the given (unnormalized) weights."""
    cdf = np.cumsum(weights / weights.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(weights) - 1)


def local_day_and_dow(ts: I64, offset: I64) -> tuple[I64, I64]:
    """Local day number since 1970-01-01 and weekday (0 = Monday) for UTC seconds."""
    day = (ts + offset) // DAY
    return day, (day + 3) % 7


def at_local_hour(rng: np.random.Generator, day: I64, offset: I64) -> I64:
    """A UTC timestamp on local `day` at an hour drawn from the activity profile."""
    hour = weighted_choice(rng, HOUR_WEIGHTS, day.shape[0])
    return day * DAY + hour * HOUR + rng.integers(0, HOUR, day.shape[0]) - offset


# --- pages: page_key = static page | N_STATIC + category | N_STATIC + 12 + product -------
STATIC_PAGES = [
    # (path, title, page_type)
    ("/", "Shop Example - Home", "home"),
    ("/cart", "Your Cart", "cart"),
    ("/checkout", "Checkout", "other"),
    ("/sale", "Sale", "sale"),
    ("/faq", "FAQ", "faq"),
    ("/contact", "Contact Us", "contact"),
    ("/about", "About Us", "other"),
    ("/search", "Search", "other"),
    ("/blog", "Journal", "blog"),
]
PAGE = {path: key for key, (path, _, _) in enumerate(STATIC_PAGES)}
N_STATIC = len(STATIC_PAGES)


def category_page(cat: I64) -> I64:
    return N_STATIC + cat


def product_page(product: I64) -> I64:
    return N_STATIC + len(CATEGORIES) + product


SEARCH_TERMS = {
    "coffee": ["espresso", "decaf", "cold brew"],
    "tea": ["green tea", "matcha", "chai"],
    "skincare": ["serum", "spf", "moisturizer"],
    "haircare": ["shampoo", "hair oil", "curly hair"],
    "apparel": ["hoodie", "rain jacket", "t shirt"],
    "shoes": ["running shoes", "boots", "sneakers"],
    "home": ["candle", "blanket", "lamp"],
    "kitchen": ["knife", "kettle", "pan"],
    "electronics": ["headphones", "charger", "smartwatch"],
    "books": ["cookbook", "travel", "bestseller"],
    "toys": ["puzzle", "lego", "board game"],
    "pet": ["dog food", "cat litter", "treats"],
}
QUERIES = [q for cat in CATEGORIES for q in SEARCH_TERMS[cat]]
CONTENT = [
    # (title, topic)
    ("The Home Barista Guide", "coffee"),
    ("Cold Brew at Home", "coffee"),
    ("A Beginner's Guide to Loose Leaf Tea", "tea"),
    ("Your 5-Step Skincare Routine", "skincare"),
    ("Sunscreen, Explained", "skincare"),
    ("Healthy Hair Handbook", "haircare"),
    ("Capsule Wardrobe Checklist", "apparel"),
    ("Running Shoe Fit Guide", "shoes"),
    ("Cosy Home Lookbook", "home"),
    ("Knife Care 101", "kitchen"),
    ("Smart Home Starter Kit", "electronics"),
    ("Summer Reading List", "books"),
    ("Puppy Feeding Guide", "pet"),
]
TOPICS = sorted(
    {topic for _, topic in CONTENT} | {"shipping", "returns", "billing", "product", "account"}
)
TICKET_TOPICS = ["shipping", "returns", "billing", "product", "account"]
COUPONS = ["WELCOME10", "SAVE15", "SPRING20", "VIP20", "COMEBACK15"]
COUPON_PCT = np.array([10, 15, 20, 20, 15], dtype=np.int64)
APP_VERSIONS = ["3.8.2", "3.9.0", "3.9.1", "4.0.0"]
VIDEOS = [("v01", "How we roast our coffee"), ("v02", "Spring collection"), ("v03", "Unboxing")]
CAMPAIGNS = [
    # (source, medium, name, referrer)
    ("google", "cpc", "brand_search", "https://www.google.com/"),
    ("facebook", "social", "spring_sale", "https://www.facebook.com/"),
    ("instagram", "social", "new_arrivals", "https://www.instagram.com/"),
    ("newsletter", "email", "weekly_digest", None),
    ("partner", "referral", "gift_guide", "https://blog.partner.example/"),
]
REFERRERS = [
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://www.facebook.com/",
    "https://www.instagram.com/",
    "https://blog.partner.example/",
]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15"
    " Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "ShopExample/4.0 (iPhone; iOS 17.4)",
    "ShopExample/4.0 (Android 14)",
]
LIBRARIES = ["analytics.js", "analytics-ios", "analytics-android", "pos-connector", "esp-webhook"]
SIGNUP_METHODS = ["newsletter", "account", "checkout"]
SOURCES = ["footer_form", "popup", "checkout", "preference_center", "esp", "support"]
UNSUB_REASONS = ["too_many_emails", "not_relevant", "never_signed_up", "other"]
TRIGGER_KEYS = ["newsletter", "welcome"]
# the topics of seeds/email_topics.csv
EMAIL_TOPICS = ["reminders", "recommendations", "feedback", "offers", "account"]
FREQUENCIES = ["all", "weekly", "monthly"]
BOUNCE_TYPES = ["hard", "soft"]
