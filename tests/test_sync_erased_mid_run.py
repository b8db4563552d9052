"""A person erased while an audience sync is under way is not added by the rest of it. On
PostgreSQL or Snowflake `nudge erase` can commit its tombstones while a long sync (a slow
or rate-limiting ESP) runs; a sync that held back only whom the tombstones named at its
start would re-create the profile the erasure is deleting at the ESP. The sync reads the
tombstones again before each upsert call."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from activation.destinations import build_destination
from activation.destinations.klaviyo.sandbox import start_sandbox
from activation.state import utcnow
from activation.sync import run_sync
from activation.tombstones import add_tombstones
from activation.warehouse import Warehouse
from tests.sends_helpers import API_KEY, settings
from tests.test_sync_holds_back import make_warehouse
from tests.test_sync_under_faults import LIST_NAME, declaration

AUDIENCE = {f"subscriber.{i}@example.com" for i in range(10)}


class ErasureDuringTheFirstUpsert:
    """The Klaviyo client, but during its first upsert call `nudge erase` commits the
    tombstones of one person that call does not hold."""

    def __init__(self, inner: Any, warehouse: Warehouse) -> None:
        self.inner = inner
        self.warehouse = warehouse
        self.erased: str | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def upsert_profiles(self, records: Any, list_id: Any) -> Any:
        if self.erased is None:
            self.erased = sorted(AUDIENCE - {record.record_key for record in records})[0]
            add_tombstones(self.warehouse, email=self.erased, contact_ids=[], erased_at=utcnow())
        return self.inner.upsert_profiles(records, list_id)


def test_a_person_erased_during_the_sync_is_not_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = make_warehouse(tmp_path / "w.duckdb")
    sync = declaration(5)  # two upsert calls of five
    with start_sandbox(API_KEY) as sandbox, Warehouse(wh) as warehouse:
        # the erasure writes through the sync's own connection: DuckDB has one writer; on
        # PostgreSQL it would be another session committing
        monkeypatch.setattr("activation.sync.open_warehouse", lambda path: nullcontext(warehouse))
        klaviyo = settings(sandbox.base_url)
        client = ErasureDuringTheFirstUpsert(build_destination(klaviyo, sync.config), warehouse)
        result = run_sync(sync, wh, klaviyo, destination=client)  # type: ignore[arg-type]
        members = {m["email"] for m in sandbox.list_members(LIST_NAME)}
        profiles = {p["email"] for p in sandbox.profiles()}

    assert client.erased is not None
    assert client.erased not in members and client.erased not in profiles
    assert members == AUDIENCE - {client.erased}
    assert (result.added, result.held_back_by_reason) == (9, {"erased": 1})
