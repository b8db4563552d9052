"""birthday: the contact's birthday each year at 09:00 in their own time zone (DST-correct;
UTC when unknown); one step at 0 h; series_id = the year; Feb 29 falls on Feb 28 in
non-leap years."""

from __future__ import annotations

from datetime import datetime

from tests.scenarios.harness import (
    DAY,
    INSTANTS,
    T0,
    Count,
    Event,
    Expect,
    Identify,
    NoSends,
    Scenario,
    subscriber,
)

MON_NOON, TUE_NOON, WED_NOON, THU_NOON, SAT_NOON, TUE_10_NOON, _ = INSTANTS


def with_birthday(contact_id: str, birthday: str, timezone: str | None) -> list[Event | Identify]:
    """A subscriber whose identify (a day later) states a birthday."""
    return [
        *subscriber(contact_id, timezone=timezone, first_name=contact_id.split("_")[-1].title()),
        Identify(contact_id, T0 - 59 * DAY, {"birthday": birthday}),
    ]


# 09:00 local on each birthday, in UTC
TOKYO_09 = datetime(2026, 3, 4, 0, 0)  # JST, UTC+9
BERLIN_09 = datetime(2026, 3, 5, 8, 0)  # CET, UTC+1
NEW_YORK_09 = datetime(2026, 3, 9, 13, 0)  # EDT, UTC-4: US clocks moved on Sun 03-08

SCENARIOS = [
    Scenario(
        name="birthday_three_zones",
        description=(
            "Birthdays in Tokyo (Mar 4), Berlin (Mar 5) and New York (Mar 9, the day after"
            " US clocks move): each due at 09:00 local, expired a day later unsent."
        ),
        rows=[
            *with_birthday("birthday_tokyo", "1990-03-04", "Asia/Tokyo"),
            *with_birthday("birthday_berlin", "1988-03-05", "Europe/Berlin"),
            *with_birthday("birthday_new_york", "1985-03-09", "America/New_York"),
        ],
        expectations=[
            Expect(
                TUE_NOON,
                "birthday_tokyo",
                "birthday",
                1,
                "scheduled",
                due_at=TOKYO_09,
                series_id="2026",
            ),
            Expect(
                WED_NOON,
                "birthday_tokyo",
                "birthday",
                1,
                "due",
                due_at=TOKYO_09,
                series_id="2026",
                status_reason=None,
                payload={"first_name": "Tokyo", "birthday_date": "2026-03-04"},
            ),
            Expect(THU_NOON, "birthday_tokyo", "birthday", 1, "expired", series_id="2026"),
            # next year's birthday is already there, scheduled
            Expect(
                THU_NOON,
                "birthday_tokyo",
                "birthday",
                1,
                "scheduled",
                due_at=datetime(2027, 3, 4, 0, 0),
                series_id="2027",
            ),
            Expect(
                WED_NOON,
                "birthday_berlin",
                "birthday",
                1,
                "scheduled",
                due_at=BERLIN_09,
                series_id="2026",
            ),
            Expect(
                THU_NOON,
                "birthday_berlin",
                "birthday",
                1,
                "due",
                due_at=BERLIN_09,
                series_id="2026",
                payload={"timezone": "Europe/Berlin"},
            ),
            Expect(
                SAT_NOON,
                "birthday_new_york",
                "birthday",
                1,
                "scheduled",
                due_at=NEW_YORK_09,
                series_id="2026",
            ),
            Expect(
                TUE_10_NOON,
                "birthday_new_york",
                "birthday",
                1,
                "due",
                due_at=NEW_YORK_09,
                series_id="2026",
            ),
        ],
    ),
    Scenario(
        name="birthday_not_this_week",
        description=(
            "A Feb 29 birthday was due on Feb 28 (09:00 UTC, no time zone) and is expired by"
            " the first build; a contact without a birthday has no series."
        ),
        rows=[
            *with_birthday("birthday_leap", "2000-02-29", None),
            *subscriber("birthday_none", timezone="Asia/Tokyo"),
        ],
        expectations=[
            Expect(
                MON_NOON,
                "birthday_leap",
                "birthday",
                1,
                "expired",
                due_at=datetime(2026, 2, 28, 9, 0),
                series_id="2026",
            ),
            Expect(
                MON_NOON,
                "birthday_leap",
                "birthday",
                1,
                "scheduled",
                due_at=datetime(2027, 2, 28, 9, 0),
                series_id="2027",
            ),
            Count(WED_NOON, "birthday_leap", "due", 0, trigger_key="birthday"),
            NoSends(WED_NOON, "birthday_none", "birthday"),
        ],
    ),
]
