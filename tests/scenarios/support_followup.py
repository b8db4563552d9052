"""support_followup: a Ticket Created, or 3+ contact page views within 7 days; one step
1 day later; re-entry once per 14 days. FAQ pages do not count (var
trigger_support_page_types)."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.harness import (
    DAY,
    HOUR,
    INSTANTS,
    MINUTE,
    T0,
    Count,
    Event,
    Expect,
    NoSends,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, WED_NOON, THU_NOON, _, TUE_10_NOON, _ = INSTANTS
TICKET_AT = T0 + 15 * HOUR  # Mon 15:00
THIRD_CONTACT_VIEW_AT = T0 + 2 * DAY + 8 * HOUR  # Wed 08:00


def page_view(contact_id: str, page_type: str, at: datetime) -> Event:
    return Event("Page Viewed", contact_id, at, {"page_type": page_type, "path": f"/{page_type}"})


SCENARIOS = [
    Scenario(
        name="support_followup_ticket",
        description="A ticket on Mon 15:00: the follow-up is due a day later.",
        rows=[
            *subscriber("support_followup_tk", timezone="America/New_York"),
            Event(
                "Ticket Created",
                "support_followup_tk",
                TICKET_AT,
                {"ticket_id": "support_followup_t1", "topic": "shipping"},
            ),
        ],
        expectations=[
            Expect(
                TUE_NOON,
                "support_followup_tk",
                "support_followup",
                1,
                "scheduled",
                due_at=TICKET_AT + DAY,
                series_id="ticket:support_followup_t1",
            ),
            Expect(
                WED_NOON,
                "support_followup_tk",
                "support_followup",
                1,
                "due",
                due_at=TICKET_AT + DAY,
                status_reason=None,
                payload={
                    "reason": "ticket",
                    "ticket_id": "support_followup_t1",
                    "ticket_topic": "shipping",
                },
            ),
        ],
    ),
    Scenario(
        name="support_followup_contact_pages",
        description=(
            "Contact page views Tue 09:00, Tue 10:00 and Wed 08:00: the third starts a series,"
            " due Thu 08:00. A ticket on Saturday is within the 14-day re-entry window: no"
            " second series."
        ),
        rows=[
            *subscriber("support_followup_pages", timezone="Europe/Berlin"),
            page_view("support_followup_pages", "contact", T0 + DAY + 9 * HOUR),
            page_view("support_followup_pages", "contact", T0 + DAY + 10 * HOUR),
            page_view("support_followup_pages", "contact", THIRD_CONTACT_VIEW_AT),
            Event(
                "Ticket Created",
                "support_followup_pages",
                T0 + 5 * DAY + 10 * HOUR,
                {"ticket_id": "support_followup_t2", "topic": "returns"},
            ),
        ],
        expectations=[
            Expect(
                WED_NOON,
                "support_followup_pages",
                "support_followup",
                1,
                "scheduled",
                due_at=THIRD_CONTACT_VIEW_AT + DAY,
            ),
            Expect(
                THU_NOON,
                "support_followup_pages",
                "support_followup",
                1,
                "due",
                due_at=THIRD_CONTACT_VIEW_AT + DAY,
                payload={"reason": "contact_pages", "page_views": 3},
            ),
            Count(TUE_10_NOON, "support_followup_pages", "expired", 1, "support_followup"),
            Count(TUE_10_NOON, "support_followup_pages", "due", 0, "support_followup"),
            Count(TUE_10_NOON, "support_followup_pages", "scheduled", 0, "support_followup"),
        ],
    ),
    Scenario(
        name="support_followup_faq_only",
        description="Three FAQ page views in an hour: not contact pages, no follow-up.",
        rows=[
            *subscriber("support_followup_faq", timezone="UTC"),
            page_view("support_followup_faq", "faq", T0 + DAY + 9 * HOUR),
            page_view("support_followup_faq", "faq", T0 + DAY + 9 * HOUR + 20 * MINUTE),
            page_view("support_followup_faq", "faq", T0 + DAY + 10 * HOUR),
        ],
        expectations=[NoSends(WED_NOON, "support_followup_faq", "support_followup")],
    ),
]
