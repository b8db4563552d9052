"""What each destination accepts, for validating declarations without importing clients."""

from __future__ import annotations

import re

KLAVIYO_PROFILE_ATTRIBUTES = frozenset(
    {
        "first_name",
        "last_name",
        "phone_number",
        "organization",
        "locale",
        "title",
        "image",
        *(
            f"location.{field}"
            for field in (
                "address1",
                "address2",
                "city",
                "country",
                "latitude",
                "longitude",
                "region",
                "zip",
                "timezone",
                "ip",
            )
        ),
    }
)

# Braze standard user attributes; anything under fields.properties becomes a custom attribute
BRAZE_PROFILE_ATTRIBUTES = frozenset(
    {
        "first_name",
        "last_name",
        "phone",
        "country",
        "home_city",
        "language",
        "time_zone",
        "gender",
        "dob",
    }
)

# Mailchimp merge tags: up to 10 of A-Z, 0-9, _ (FNAME, LNAME, RFM, ...); members have no
# free-form properties, so everything is a merge field
MAILCHIMP_MERGE_TAG = re.compile(r"^[A-Z][A-Z0-9_]{0,9}$")

DESTINATION_FIELDS: dict[str, frozenset[str]] = {
    "klaviyo": KLAVIYO_PROFILE_ATTRIBUTES,
    "braze": BRAZE_PROFILE_ATTRIBUTES,
}

DESTINATIONS = ("klaviyo", "braze", "mailchimp", "customerio", "webhook")


def attribute_problem(destination: str, name: str) -> str | None:
    """Why ``name`` cannot be a profile attribute of ``destination`` (None if it can)."""
    if destination == "mailchimp":
        if MAILCHIMP_MERGE_TAG.match(name):
            return None
        return (
            "is not a Mailchimp merge tag; use up to 10 capitals, digits or _ "
            "(e.g. FNAME, LNAME, RFM_SEGMENT is too long: RFM_SEG)"
        )
    allowed = DESTINATION_FIELDS.get(destination)
    if allowed is None or name in allowed:  # customerio, webhook: any attribute name
        return None
    return (
        f"is not a {destination} profile attribute; use one of {', '.join(sorted(allowed))}, "
        f"or map it under fields.properties"
    )


# destinations that record an event once per unique_id (their client's idempotent_events):
# only these take ``object: events`` syncs, whose exactly-once rests on that after a crash
IDEMPOTENT_EVENT_DESTINATIONS = ("klaviyo", "customerio", "webhook")
