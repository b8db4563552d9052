"""The segment catalog on hand-made tables: which moves count as the last week's, the RFM
segments the seed maps, and segments with no members left."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from activation.warehouse import open_warehouse
from nudge.segment_catalog import load_catalog

AS_OF = datetime(2026, 3, 9, 6, 0)


def _manifest() -> dict[str, object]:
    def node(
        name: str, schema: str, description: str = "", *, seed: bool = False, keyed: bool = False
    ) -> object:
        """``keyed``: a model making several segments declares its own segment_key column."""
        is_definition = bool(description)
        return {
            "name": name,
            "resource_type": "seed" if seed else "model",
            "relation_name": f"{schema}.{name}",
            "description": description,
            "config": {"tags": ["segment"] if is_definition else []},
            "columns": {"segment_key": {"name": "segment_key"}} if keyed else {},
        }

    nodes = [
        node("segment_memberships", "segments"),
        node("segment_transitions", "segments"),
        node("rfm_segment_map", "reference", seed=True),
        node("segment_new_customers", "segments", "new_customers: first order within 30 days."),
        node("segment_app_users", "segments", "app_users: opened the app. One row per contact."),
        node("segment_rfm", "segments", "rfm_<segment>: every RFM segment.", keyed=True),
        node(
            "segment_category_browser",
            "segments",
            "category_browser__<category>: views.",
            keyed=True,
        ),
    ]
    return {"nodes": {f"x.{n['name']}": n for n in nodes}}  # type: ignore[index]


def _warehouse(tmp_path: Path, name: str = "catalog.duckdb") -> Path:
    path = tmp_path / name
    with open_warehouse(path) as connection:
        for sql in (
            "create schema segments",
            "create schema reference",
            "create table reference.rfm_segment_map"
            " (r_score int, f_score int, rfm_segment varchar)",
            "insert into reference.rfm_segment_map values (5, 5, 'champions'), (5, 4, 'champions'),"
            " (1, 1, 'lost')",
            "create table segments.segment_memberships"
            " (segment_key varchar, contact_id varchar, segment_model varchar, as_of timestamp)",
            "create table segments.segment_transitions (segment_key varchar, contact_id varchar,"
            " transition varchar, transitioned_at timestamp)",
        ):
            connection.execute(sql)
        members = [
            ("new_customers", "c1", "segment_new_customers"),
            ("new_customers", "c2", "segment_new_customers"),
            ("rfm_champions", "c1", "segment_rfm"),
            ("category_browser__tea", "c2", "segment_category_browser"),
        ]
        connection.insert_rows(
            "segments.segment_memberships",
            ["segment_key", "contact_id", "segment_model", "as_of"],
            [(*member, AS_OF) for member in members],
        )
        transitions = [
            ("new_customers", "c1", "entered", datetime(2026, 3, 1)),  # 8 days before: not counted
            ("new_customers", "c2", "entered", datetime(2026, 3, 2, 6, 0, 1)),  # just inside
            ("app_users", "c3", "entered", datetime(2026, 3, 2, 6)),  # exactly 7 days: outside
            ("app_users", "c3", "exited", AS_OF),
            ("rfm_champions", "c1", "entered", AS_OF),
            ("category_browser__tea", "c2", "entered", AS_OF),
            ("category_browser__toys", "c4", "entered", datetime(2026, 3, 5)),
            ("category_browser__toys", "c4", "exited", datetime(2026, 3, 8)),
        ]
        connection.insert_rows(
            "segments.segment_transitions",
            ["segment_key", "contact_id", "transition", "transitioned_at"],
            transitions,
        )
    return path


def test_the_catalog_counts_members_and_the_weeks_moves(tmp_path: Path) -> None:
    with open_warehouse(_warehouse(tmp_path), read_only=True) as connection:
        catalog = load_catalog(connection, _manifest(), {"new_customers": ["klaviyo"]})
    assert catalog.as_of == AS_OF
    got = {
        entry.key: (entry.model, entry.members, entry.entered_last_week, entry.exited_last_week)
        for entry in catalog.entries
    }
    assert got == {
        "app_users": ("segment_app_users", 0, 0, 1),
        "category_browser__tea": ("segment_category_browser", 1, 1, 0),
        "category_browser__toys": ("segment_category_browser", 0, 1, 1),
        "new_customers": ("segment_new_customers", 2, 1, 0),
        "rfm_champions": ("segment_rfm", 1, 1, 0),
        "rfm_lost": ("segment_rfm", 0, 0, 0),
    }
    entries = {entry.key: entry for entry in catalog.entries}
    assert entries["new_customers"].weekly_change == 1
    assert entries["new_customers"].synced_to == ("klaviyo",)
    assert entries["app_users"].definition == "opened the app."
    assert entries["rfm_champions"].definition == "RFM recency/frequency scores 5/5, 5/4"
    assert entries["category_browser__toys"].definition == "views."


def test_with_no_member_left_the_last_transition_dates_the_catalog(tmp_path: Path) -> None:
    path = _warehouse(tmp_path)
    with open_warehouse(path) as connection:
        connection.execute("delete from segments.segment_memberships")
    with open_warehouse(path, read_only=True) as connection:
        catalog = load_catalog(connection, _manifest())
    assert catalog.as_of == AS_OF
    assert all(entry.members == 0 for entry in catalog.entries)
