"""Whether a send attempted before may be sent again, from what the destination de-duplicates:
one place for the runner (runner.py) and its dry run, so a dry run shows what a real run does.

A destination that records an event once per unique_id (``idempotent_events`` True) gets an
interrupted send again, while its first attempt (the ledger's ``first_attempt_at``) is inside
the time it de-duplicates for (``deduplication_window``; None: for good). Any other would
deliver it twice: a send it left 'pending', or whose call may have arrived unanswered
(``OutcomeUnknown``), is given up ('failed', outcome_unknown): at most once beats twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ..destinations.registry import spec_for
from ..settings import DestinationSettings
from .events import SendRow

NOT_DE_DUPLICATED = (
    "this destination cannot de-duplicate events, so it is not sent again (it may or may not "
    "have been delivered)"
)


class DeDuplicating(Protocol):
    idempotent_events: bool
    deduplication_window: timedelta | None


@dataclass(frozen=True)
class ResendRule:
    # records an event once per unique_id (anything but True counts as no)
    idempotent: bool
    # ... for this long after the first one (None: for good); read only when idempotent
    window: timedelta | None

    @classmethod
    def of(cls, destination: DeDuplicating) -> ResendRule:
        """The rule of a built client: it answers for the configuration it was built with
        (Braze: only with transactional campaigns)."""
        idempotent = destination.idempotent_events is True
        return cls(idempotent, destination.deduplication_window if idempotent else None)

    @classmethod
    def declared(cls, settings: DestinationSettings) -> ResendRule:
        """The rule the destination's spec declares for ``settings`` (no client built)."""
        spec = spec_for(settings.destination)
        idempotent = spec.idempotent_events_with(settings)
        return cls(idempotent, spec.deduplication_window if idempotent else None)

    def not_again(self, row: SendRow, now: datetime) -> str | None:
        """Why an earlier attempt of this send may have been delivered and sending it again
        could deliver it twice (None: it may go). Without de-duplication: it was left
        'pending'. With it for a limited window: it was first attempted (whatever its status
        since) longer ago than the window, so the destination would no longer know it."""
        if not self.idempotent:
            if row.ledger_status != "pending":
                return None
            return f"an earlier attempt was interrupted and {NOT_DE_DUPLICATED}"
        first = row.ledger_first_attempt_at
        if self.window is None or first is None or now - first < self.window:
            return None
        return (
            f"first attempted (first_attempt_at) more than {self.window / timedelta(hours=1):g}"
            " h ago: beyond the time this destination de-duplicates events for, so it is not "
            "sent again (it may or may not have been delivered)"
        )

    def after_unknown_outcome(self, reason: str) -> str | None:
        """Why a send whose call may have arrived unanswered (``reason``) is not sent again
        (None: the destination de-duplicates it, so it waits for the next run)."""
        if self.idempotent:
            return None
        return f"the call may have reached the destination ({reason}) and {NOT_DE_DUPLICATED}"
