"""What a Klaviyo sync declaration may map: Klaviyo's profile attributes."""

from __future__ import annotations

from ..declaration_checks import attributes_of

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

attribute_problem = attributes_of("klaviyo", KLAVIYO_PROFILE_ATTRIBUTES)
