"""What each destination accepts, for validating declarations without importing clients."""

from __future__ import annotations

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

DESTINATION_FIELDS: dict[str, frozenset[str]] = {"klaviyo": KLAVIYO_PROFILE_ATTRIBUTES}
