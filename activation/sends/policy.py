"""The guardrail settings the send-time gate applies: ``triggers.send_policy``, one row
written by the same dbt build that planned ``triggered_sends`` (its dbt vars), so the rules
re-checked at the moment of sending are exactly the ones that planned the sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import DeclarationError
from ..warehouse import WarehouseConnection

SEND_POLICY = ("triggers", "send_policy")
POLICY_COLUMNS = (
    "as_of",
    "max_send_lateness_hours",
    "quiet_hours_start",
    "quiet_hours_end",
    "max_sends_per_day",
    "max_sends_per_week",
    "email_frequency_windows",
)


@dataclass(frozen=True)
class SendPolicy:
    as_of: datetime
    max_send_lateness: timedelta
    quiet_hours_start: int
    quiet_hours_end: int
    max_sends_per_day: int
    max_sends_per_week: int
    # the email frequencies a person may choose -> days each allows one email in
    email_frequency_windows: dict[str, int]

    @property
    def has_quiet_hours(self) -> bool:
        return self.quiet_hours_start != self.quiet_hours_end


def load_policy(warehouse: WarehouseConnection) -> SendPolicy:
    relation = ".".join(SEND_POLICY)
    if warehouse.columns(*SEND_POLICY) is None:
        raise DeclarationError(
            [
                f"triggered sends need {relation} (the guardrail settings of the build), which "
                f"{warehouse.location} does not have yet; build the dbt project (nudge build)"
            ]
        )
    rows = warehouse.fetchall(f"select {', '.join(POLICY_COLUMNS)} from {relation}")
    if len(rows) != 1 or any(value is None for value in rows[0]):
        raise DeclarationError(
            [f"{relation} must hold exactly one complete row; rebuild it (nudge build)"]
        )
    as_of, lateness_hours, start, end, per_day, per_week, windows = rows[0]
    return SendPolicy(
        as_of=as_of,
        max_send_lateness=timedelta(hours=int(lateness_hours)),
        quiet_hours_start=int(start),
        quiet_hours_end=int(end),
        max_sends_per_day=int(per_day),
        max_sends_per_week=int(per_week),
        email_frequency_windows=frequency_windows(str(windows)),
    )


def frequency_windows(text: str) -> dict[str, int]:
    """``'weekly=7,monthly=30'`` (send_policy.email_frequency_windows) as a mapping."""
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    try:
        return {name.strip(): int(days) for name, days in pairs}
    except ValueError:
        raise DeclarationError(
            [f"{'.'.join(SEND_POLICY)}.email_frequency_windows is not 'name=days,…': {text!r}"]
        ) from None
