"""A Braze sync declaration: its ``braze:`` block, standard attributes and user ids."""

from __future__ import annotations

from pydantic import field_validator

from ..declaration_checks import attributes_of
from ..spec import PLAIN_NAME, DeclarationOptions

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

attribute_problem = attributes_of("braze", BRAZE_PROFILE_ATTRIBUTES)


class BrazeOptions(DeclarationOptions):
    """List membership is an array attribute holding the names of the lists a user is in."""

    membership_attribute: str = "nudge_lists"

    @field_validator("membership_attribute")
    @classmethod
    def _attribute_name(cls, value: str) -> str:
        if not PLAIN_NAME.match(value):
            raise ValueError(f"must be a plain attribute name (letters, digits, _), got {value!r}")
        return value
