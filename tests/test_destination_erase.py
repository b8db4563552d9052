"""``nudge erase --email`` at the non-Klaviyo destinations: after a sync, the contact is
erased at each (Braze users found by email and deleted, Mailchimp delete-permanent in every
audience of the account, Customer.io person deletion, the webhook's ``contacts.erase``) and
its sync state goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from activation.runs import erase_contact
from activation.sync import run_sync
from tests.contract_servers.audience import declaration, make_warehouse, state_rows
from tests.test_destination_faults import ESPS, Esp, running

ERASED = "person.003@example.com"


def holds(esp: Esp, app: object) -> bool:
    """Whether the server's state (not its request log) still holds the erased contact."""
    text = repr({name: value for name, value in vars(app).items() if not name.startswith("_")})
    return ERASED in text.lower() or "c-003'" in text


@pytest.mark.parametrize("esp", ESPS, ids=[esp.name for esp in ESPS])
def test_erase_removes_the_contact_at_the_destination_and_its_sync_state(
    tmp_path: Path, esp: Esp
) -> None:
    warehouse = make_warehouse(tmp_path / "nudge.duckdb", 8)
    sync = declaration(esp.sync)
    with running(esp) as (server, settings):
        run_sync(sync, warehouse, settings)
        assert holds(esp, server.app)

        erasure = erase_contact(warehouse, "Person.003@Example.com", lambda name: settings)

        assert erasure.targets == [settings.target]
        assert erasure.erased == [settings.target] and erasure.failed == {}
        assert not holds(esp, server.app)
        assert ERASED not in state_rows(warehouse) and len(state_rows(warehouse)) == 7
        again = erase_contact(warehouse, ERASED, lambda name: settings)
        assert again.targets == []  # nothing left to erase
