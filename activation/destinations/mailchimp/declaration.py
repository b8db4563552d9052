"""A Mailchimp sync declaration: its ``mailchimp:`` block (the audience) and merge tags."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from ..spec import DeclarationOptions

if TYPE_CHECKING:
    from ...declarations import NudgeSync

# Mailchimp merge tags: up to 10 of A-Z, 0-9, _ (FNAME, LNAME, RFM, ...); members have no
# free-form properties, so everything is a merge field
MAILCHIMP_MERGE_TAG = re.compile(r"^[A-Z][A-Z0-9_]{0,9}$")
EXAMPLES = {"mailchimp.audience_id": "mailchimp: {audience_id: a1b2c3d4e5}"}


class MailchimpOptions(DeclarationOptions):
    audience_id: str = Field(min_length=1)
    # the status members are upserted with; Mailchimp itself refuses to subscribe again a
    # member who unsubscribed or was cleaned there (a per-row error, recorded)
    member_status: Literal["subscribed", "pending", "transactional"] = "subscribed"


def attribute_problem(name: str) -> str | None:
    if MAILCHIMP_MERGE_TAG.match(name):
        return None
    return (
        "is not a Mailchimp merge tag; use up to 10 capitals, digits or _ "
        "(e.g. FNAME, LNAME, RFM_SEGMENT is too long: RFM_SEG)"
    )


def declaration_problems(where: str, config: NudgeSync) -> list[str]:
    problems = []
    if config.destination_options() is None:
        problems.append(
            f"{where}.mailchimp.audience_id is required for destination mailchimp: the id "
            f"of the audience (list) in Audience > Settings (e.g. mailchimp: "
            f"{{audience_id: a1b2c3d4e5}})"
        )
    if config.fields.properties or config.fields.lists:
        problems.append(
            f"{where}.fields.properties: Mailchimp members have no free-form properties; "
            f"map those columns as merge fields under fields.attributes (e.g. RFM: rfm_segment)"
        )
    return problems
