"""The sample-data generator on small data, without dbt: determinism, the raw contract's
schema and event catalog, identity stitching material, catalog history, and broken rows
and re-deliveries counted exactly as the staging checks (CONTRIBUTING.md) will see them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import duckdb
import numpy as np
import pytest

from nudge.generator import GenerationResult, generate
from nudge.generator.common import EV, NULL
from nudge.generator.contacts import People
from nudge.generator.preferences import preference_events
from tests.fixtures.raw_rows import CATALOG_DDL, EVENTS_DDL, IDENTIFIES_DDL

ROOT = Path(__file__).resolve().parents[1]
END = datetime(2026, 11, 1)
CONTACTS = 150
TABLES = ("events", "identifies", "product_catalog")


@dataclass
class Generated:
    path: Path
    result: GenerationResult

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.path), read_only=True)


def _generate(
    tmp: Path, name: str, seed: int, bad_row_share: float = 0.01, duplicate_share: float = 0.01
) -> Generated:
    path = tmp / name / "nudge.duckdb"
    result = generate(
        path,
        contacts=CONTACTS,
        seed=seed,
        end=END,
        bad_row_share=bad_row_share,
        duplicate_share=duplicate_share,
    )
    return Generated(path, result)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Generated]:
    tmp = tmp_path_factory.mktemp("generator")
    return {
        "a": _generate(tmp, "a", seed=11),
        "b": _generate(tmp, "b", seed=11),
        "other": _generate(tmp, "other", seed=12),
    }


@pytest.fixture(scope="module")
def run(runs: dict[str, Generated]) -> Generated:
    return runs["a"]


@pytest.fixture
def con(run: Generated) -> Iterator[duckdb.DuckDBPyConnection]:
    with run.connect() as connection:
        yield connection


def _rows(generated: Generated, table: str) -> list[tuple[object, ...]]:
    with generated.connect() as connection:
        return connection.execute(f"select * from raw.{table}").fetchall()


# --- determinism ----------------------------------------------------------------------


def test_same_seed_gives_identical_tables(runs: dict[str, Generated]) -> None:
    for table in TABLES:
        first, second = _rows(runs["a"], table), _rows(runs["b"], table)
        assert first, table
        assert first == second, table  # same rows, in the same order
    a, b = runs["a"].result, runs["b"].result
    assert (a.rows, a.bad_rows, a.duplicates, a.invalid_emails) == (
        b.rows,
        b.bad_rows,
        b.duplicates,
        b.invalid_emails,
    )


def test_another_seed_gives_other_tables(runs: dict[str, Generated]) -> None:
    for table in ("events", "identifies"):
        assert _rows(runs["a"], table) != _rows(runs["other"], table)


# --- the raw contract -----------------------------------------------------------------


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [
        (str(name), str(data_type))
        for name, data_type in con.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'raw' and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    ]


def test_schema_matches_the_contract(con: duckdb.DuckDBPyConnection) -> None:
    with duckdb.connect() as reference:
        reference.execute("create schema raw")
        for ddl in (EVENTS_DDL, IDENTIFIES_DDL, CATALOG_DDL):
            reference.execute(ddl)
        expected = {table: _columns(reference, table) for table in TABLES}
    # events also carry one column the models do not know (schema drift)
    expected["events"].append(("context_library_name", "VARCHAR"))
    assert {table: _columns(con, table) for table in TABLES} == expected
    with_library = con.execute(
        "select count(*) from raw.events where context_library_name is not null"
    ).fetchone()
    assert with_library is not None and with_library[0] > 0


def _contract_catalog() -> dict[str, list[str]]:
    """Event name -> required properties (marked * in docs/contracts/raw_events.md)."""
    text = (ROOT / "docs" / "contracts" / "raw_events.md").read_text()
    section = text.split("### Event catalog", 1)[1].split("An in-store purchase", 1)[0]
    catalog: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if len(cells) != 2 or cells[0] in ("event", "---"):
            continue
        required = re.findall(r"(\w+)\*", cells[1])
        for name in cells[0].split(" / "):
            catalog[name.strip()] = required
    return catalog


def test_every_catalog_event_is_generated(con: duckdb.DuckDBPyConnection) -> None:
    catalog = _contract_catalog()
    assert len(catalog) == 24
    present = {name for (name,) in con.execute("select distinct event from raw.events").fetchall()}
    assert set(catalog) <= present
    # unknown names are part of real traffic too (kept and counted downstream)
    assert "Video Played" in present


def test_json_columns_hold_the_contract_fields(con: duckdb.DuckDBPyConnection) -> None:
    order = con.execute(
        "select properties from raw.events where event = 'Order Completed'"
        " and json_valid(properties) and properties like '%\"products\":[%' limit 1"
    ).fetchone()
    assert order is not None
    assert re.search(r'"products":\[\{"product_id":"p\d+","name":', order[0])
    channels = con.execute(
        "select distinct context->>'channel' from raw.events where json_valid(context)"
    ).fetchall()
    assert {c for (c,) in channels} == {"web", "app", "store", "email"}
    traits = con.execute(
        "select traits from raw.identifies where traits like '%\"birthday\"%' limit 1"
    ).fetchone()
    assert traits is not None
    for key in ("email", "first_name", "last_name", "birthday", "created_at"):
        assert f'"{key}":' in traits[0]


# --- behaviour the models rely on -----------------------------------------------------


def test_anonymous_browsing_is_identified_later(con: duckdb.DuckDBPyConnection) -> None:
    stitched, devices = con.execute(
        """
        select count(*), count(distinct e.anonymous_id)
        from raw.events as e
        inner join raw.identifies as i
            on e.anonymous_id = i.anonymous_id and i.user_id is not null
        where e.user_id is null and e."timestamp" < i."timestamp"
        """
    ).fetchone() or (0, 0)
    assert stitched > 50 and devices > 10
    # and the same devices keep browsing with the user_id after the identify call
    later = con.execute(
        """
        select count(*)
        from raw.identifies as i
        inner join raw.events as e
            on e.anonymous_id = i.anonymous_id and e.user_id = i.user_id
        where e."timestamp" > i."timestamp"
        """
    ).fetchone()
    assert later is not None and later[0] > 0


def test_some_contacts_share_an_address_up_to_case_and_spaces(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Guest checkouts: another contact id states an existing contact's address, spelled
    otherwise (upper case, spaces), as real shops send them."""
    shared = con.execute(
        """
        with emails as (
            select user_id, json_extract_string(traits, '$.email') as email
            from raw.identifies
            where json_valid(traits) and regexp_full_match(user_id, 'u[0-9]+')  -- no broken id
        )
        select lower(trim(email)), count(distinct user_id), count(distinct email)
        from emails
        where email like '%@%'
        group by 1
        having count(distinct user_id) > 1
        """
    ).fetchall()
    assert shared, "no two contacts share an address"
    assert all(spellings > 1 for _, _, spellings in shared)  # never written alike
    assert len(shared) <= CONTACTS * 0.05  # a few, not a crowd


def test_catalog_prices_and_stock_change_over_time(con: duckdb.DuckDBPyConnection) -> None:
    repriced, restocked, rows, products = con.execute(
        """
        with history as (
            select
                product_id, updated_at, price, stock_quantity,
                lag(stock_quantity) over (partition by product_id order by updated_at) as before
            from raw.product_catalog
            where price >= 0 and updated_at is not null and product_id like 'p_____'
        )
        select
            (select count(*) from (
                select product_id from history group by all having count(distinct price) > 1
            )),
            count(*) filter (where before = 0 and stock_quantity > 0),
            count(*),
            count(distinct product_id)
        from history
        """
    ).fetchone() or (0, 0, 0, 0)
    assert products == 50
    assert rows > 3 * products
    assert repriced > products / 2
    assert restocked > 5


def test_late_arrivals_exist_and_nothing_lands_after_end(con: duckdb.DuckDBPyConnection) -> None:
    late, latest = con.execute(
        """
        select
            count(*) filter (where received_at > "timestamp" + interval 1 day),
            max(received_at)
        from raw.events
        """
    ).fetchone() or (0, None)
    assert late > 10
    assert latest is not None and latest <= END
    latest_update = con.execute("select max(updated_at) from raw.product_catalog").fetchone()
    assert latest_update is not None and latest_update[0] <= END


# --- email preferences ------------------------------------------------------------------

PREFERENCE = "event = 'Email Preferences Updated' and json_valid(properties)"


def _email_topics() -> set[str]:
    lines = (ROOT / "seeds" / "email_topics.csv").read_text().splitlines()[1:]
    return {line.split(",", 1)[0] for line in lines}


@pytest.fixture(scope="module")
def preferences_run(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """A store with enough subscribers for the shares of their preference choices."""
    path = tmp_path_factory.mktemp("preferences") / "nudge.duckdb"
    return Generated(path, generate(path, contacts=3000, seed=7, end=END, days=240))


def test_a_few_subscribers_update_their_email_preferences(preferences_run: Generated) -> None:
    with preferences_run.connect() as con:
        choices = con.execute(
            f"""
            select
                properties->>'topic', properties->'subscribed', properties->>'frequency',
                properties->>'source', context->>'channel', user_id, anonymous_id
            from raw.events where {PREFERENCE}
            """
        ).fetchall()
        subscribers = con.execute(
            """
            select count(distinct user_id) from raw.events
            where json_valid(properties)
                and (event = 'Subscribed' or (event = 'Signed Up'
                    and (properties->>'method') = 'newsletter'))
            """
        ).fetchone()
    assert subscribers is not None
    people = {user for *_, user, _ in choices}
    assert 0.02 <= len(people) / subscribers[0] <= 0.04
    # each a choice the contract knows: a seed topic with true/false, or a frequency
    for topic, subscribed, frequency, source, channel, user, anonymous in choices:
        assert (topic in _email_topics() and subscribed in ("true", "false")) or (
            topic is None and subscribed is None and frequency is not None
        )
        assert frequency in (None, "all", "weekly", "monthly")
        assert source in ("preference_center", "esp", "support")
        assert channel == ("web" if source == "preference_center" else "email")
        assert user is not None and anonymous is None  # the contact, as email events are
    opt_outs = [topic for topic, subscribed, *_ in choices if subscribed == "false"]
    assert sum(t in ("offers", "recommendations") for t in opt_outs) > 0.6 * len(opt_outs)
    narrowed = [f for _, _, f, *_ in choices if f in ("weekly", "monthly")]
    assert 0.2 * len(choices) < len(narrowed) < 0.6 * len(choices)
    assert {"weekly", "monthly"} <= set(narrowed)
    # a few come back: the topic subscribed again, the frequency back to all
    undone = [c for c in choices if c[1] == "true" or c[2] == "all"]
    assert 0 < len(undone) < 0.25 * len(choices)


def test_preferences_narrow_consent_of_contacts_with_an_address(
    preferences_run: Generated,
) -> None:
    """Every preference event comes while its contact consents (the latest consent event
    before it grants) and from a contact whose address is valid."""
    consent_events = """
        event in ('Subscribed', 'Unsubscribed', 'Email Marked as Spam')
        or (event = 'Signed Up' and (properties->>'method') = 'newsletter')
        or (event = 'Email Bounced' and (properties->>'bounce_type') = 'hard')
    """
    with preferences_run.connect() as con:
        outside, without_address, checked = con.execute(
            f"""
            with preferences as (
                select distinct user_id, "timestamp" from raw.events where {PREFERENCE}
            ),
            consent as (
                select user_id, "timestamp", event in ('Subscribed', 'Signed Up') as grants
                from raw.events
                where json_valid(properties) and "timestamp" is not null and ({consent_events})
            ),
            latest as (
                select p.user_id, arg_max(c.grants, c."timestamp") as grants
                from preferences as p
                left join consent as c
                    on c.user_id = p.user_id and c."timestamp" <= p."timestamp"
                group by p.user_id, p."timestamp"
            ),
            addresses as (
                select distinct user_id from raw.identifies
                where json_valid(traits)
                    and regexp_full_match(trim(traits->>'email'), '{VALID_EMAIL}')
            )
            select
                count(*) filter (where grants is distinct from true),
                count(*) filter (where user_id not in (select user_id from addresses)),
                count(*)
            from latest
            """
        ).fetchone() or (None, None, 0)
    assert checked > 50
    assert (outside, without_address) == (0, 0)


def test_preferences_stop_when_consent_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody updates preferences after unsubscribing, a hard bounce or a spam complaint."""
    monkeypatch.setattr("nudge.generator.preferences.VISIT_SHARE", 1.0)
    monkeypatch.setattr("nudge.generator.preferences.UNDO_SHARE", 1.0)
    n, day = 400, 86_400
    start = 1_700_000_000
    granted = np.full(n, start, dtype=np.int64)
    ended = np.where(np.arange(n) % 4 == 1, start + 20 * day, NULL)
    lost_at = start + 10 * day
    bounced, spam = np.arange(2, n, 4), np.arange(3, n, 4)
    mail = {
        "person": np.concatenate([bounced, bounced, spam]),
        "ts": np.concatenate(
            [
                np.full(bounced.shape[0], start + day),
                np.full(bounced.shape[0] + spam.shape[0], lost_at),
            ]
        ),
        "event": np.concatenate(
            [
                np.full(bounced.shape[0], EV["Email Bounced"]),  # a soft one first: no end
                np.full(bounced.shape[0], EV["Email Bounced"]),
                np.full(spam.shape[0], EV["Email Marked as Spam"]),
            ]
        ),
        "bounce": np.concatenate(
            [
                np.full(bounced.shape[0], 1),
                np.full(bounced.shape[0], 0),
                np.full(spam.shape[0], NULL),
            ]
        ),
    }
    people = cast(People, SimpleNamespace(n=n, tz=np.zeros(n, dtype=np.int64)))
    rows = preference_events(
        np.random.default_rng(3), people, granted, ended, np.zeros(n, dtype=bool), mail,
        start + 200 * day,
    )  # fmt: skip
    stop = np.where(ended != NULL, ended, start + 200 * day)
    stop[np.concatenate([bounced, spam])] = lost_at
    person, ts = rows["person"], rows["ts"]
    assert set(person.tolist()) == set(range(n))
    assert ((ts > granted[person]) & (ts < stop[person])).all()
    assert (ts[np.isin(person, bounced)] > start + day).any()  # the soft bounce ended nothing


def _rows_but_preferences(generated: Generated) -> dict[str, list[tuple[object, ...]]]:
    with generated.connect() as con:
        return {
            table: sorted(
                con.execute(
                    f"select * from raw.{table}"
                    + (" where event is distinct from 'Email Preferences Updated'"
                       if table == "events" else "")
                ).fetchall(),
                key=repr,
            )
            for table in TABLES
        }  # fmt: skip


def test_preferences_leave_every_other_row_as_it_was(
    runs: dict[str, Generated], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Preference events come from their own random streams and message ids: making many
    more of them changes no other row, broken copy or re-delivery."""
    monkeypatch.setattr("nudge.generator.preferences.VISIT_SHARE", 0.5)
    busy = _generate(tmp_path, "busy", seed=11)
    with busy.connect() as con, runs["a"].connect() as usual:
        query = f"select count(*) from raw.events where {PREFERENCE}"
        assert (con.execute(query).fetchone() or (0,))[0] > 4 * (
            usual.execute(query).fetchone() or (0,)
        )[0]
    assert _rows_but_preferences(busy) == _rows_but_preferences(runs["a"])


# --- broken rows and re-deliveries, as the staging checks see them --------------------

INVALID_CHAR = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\x{FFFD}]"
INVALID_ESCAPE = r"\\u(000[0-8bBcCeEfF]|001[0-9a-fA-F]|007[fF]|[fF][fF][fF][dD])"
VALID_EMAIL = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z]{2,}$"


def _blank(column: str) -> str:
    return f"nullif(trim({column}), '')"


def _invalid_text(columns: list[str]) -> str:
    return " or ".join(
        f"coalesce(regexp_matches({c}, '{INVALID_CHAR}')"
        f" or regexp_matches({c}, '{INVALID_ESCAPE}'), false)"
        for c in columns
    )


def _invalid_json(column: str) -> str:
    return f"({column} is not null and not json_valid({column}))"


def _first_failing(checks: list[tuple[str, str]]) -> str:
    return "case " + " ".join(f"when {cond} then '{reason}'" for reason, cond in checks) + " end"


def _prop(name: str) -> str:
    return f"properties->>'{name}'"


def _missing_required() -> str:
    """The contract's required properties (a required total must be a number)."""
    cases = []
    for name, required in _contract_catalog().items():
        missing = [
            f"try_cast({_prop(p)} as decimal(18, 2)) is null"
            if p == "total"
            else f"{_blank(_prop(p))} is null"
            for p in required
        ]
        if missing:
            cases.append(f"when event = '{name}' then ({' or '.join(missing)})")
    return "case " + " ".join(cases) + " else false end"


def _outcomes(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[tuple[str, str], int], dict[str, int], int]:
    """(table, reason) -> quarantined rows, table -> duplicates, kept invalid emails."""
    skew = "interval 24 hour"
    event_checks = [
        ("missing_message_id", "message_id is null"),
        ("invalid_text", _invalid_text(
            ["raw_message_id", "raw_event", "user_id", "anonymous_id", "properties", "context"]
        )),
        ("missing_event_name", "event is null"),
        ("missing_identity", f"{_blank('user_id')} is null and {_blank('anonymous_id')} is null"),
        ("missing_timestamp", '"timestamp" is null'),
        ("missing_received_at", "received_at is null"),
        ("clock_skew", f'"timestamp" > received_at + {skew}'),
        ("invalid_json", f"{_invalid_json('properties')} or {_invalid_json('context')}"),
        ("order_missing_id", f"event = 'Order Completed' and {_blank(_prop('order_id'))} is null"),
        ("negative_order_total",
         f"event = 'Order Completed' and try_cast({_prop('total')} as decimal(18, 2)) < 0"),
        ("missing_required_property", _missing_required()),
    ]  # fmt: skip
    identify_checks = [
        ("missing_message_id", "message_id is null"),
        ("invalid_text", _invalid_text(["raw_message_id", "user_id", "anonymous_id", "traits"])),
        ("missing_user_id", f"{_blank('user_id')} is null"),
        ("missing_timestamp", '"timestamp" is null'),
        ("missing_received_at", "received_at is null"),
        ("clock_skew", f'"timestamp" > received_at + {skew}'),
        ("invalid_json", _invalid_json("traits")),
    ]
    catalog_checks = [
        ("missing_product_id", "product_id is null"),
        ("invalid_text", _invalid_text(
            ["raw_product_id", "name", "category", "currency", "image_url", "url"]
        )),
        ("missing_updated_at", "updated_at is null"),
        ("invalid_price", "price is null or price < 0"),
    ]  # fmt: skip
    sources = {
        "events": (
            f"select * replace ({_blank('message_id')} as message_id, {_blank('event')} as event),"
            " message_id as raw_message_id, event as raw_event from raw.events",
            event_checks,
            ["message_id"],
        ),
        "identifies": (
            f"select * replace ({_blank('message_id')} as message_id),"
            " message_id as raw_message_id from raw.identifies",
            identify_checks,
            ["message_id"],
        ),
        "product_catalog": (
            f"select * replace ({_blank('product_id')} as product_id),"
            " product_id as raw_product_id from raw.product_catalog",
            catalog_checks,
            ["product_id", "updated_at"],
        ),
    }
    quarantined: dict[tuple[str, str], int] = {}
    duplicates: dict[str, int] = {}
    for table, (source, checks, key) in sources.items():
        keyed = " and ".join(f"{k} is not null" for k in key)
        con.execute(
            f"""
            create or replace temp table checked as
            with src as ({source}),
            checked as (select *, {_first_failing(checks)} as reason from src)
            select
                *,
                case when {keyed} then row_number() over (
                    partition by {", ".join(key)}
                    order by case when reason is null then 0 else 1 end
                ) end as copy_rank
            from checked
            """
        )
        for reason, count in con.execute(
            "select reason, count(*) from checked"
            " where copy_rank is null or (copy_rank = 1 and reason is not null) group by all"
        ).fetchall():
            quarantined[(table, str(reason))] = int(count)
        row = con.execute("select count(*) from checked where copy_rank > 1").fetchone()
        duplicates[table] = int(row[0]) if row else 0
        if table == "identifies":
            row = con.execute(
                f"""
                select count(*) from checked
                where copy_rank = 1 and reason is null
                    and not regexp_matches(trim(traits->>'email'), '{VALID_EMAIL}')
                """
            ).fetchone()
            invalid_emails = int(row[0]) if row else 0
    return quarantined, duplicates, invalid_emails


def test_broken_rows_and_duplicates_are_counted_exactly(run: Generated) -> None:
    result = run.result
    with duckdb.connect(str(run.path), read_only=True) as con:
        quarantined, duplicates, invalid_emails = _outcomes(con)
        written = {
            table: con.execute(f"select count(*) from raw.{table}").fetchone() for table in TABLES
        }
    assert quarantined == result.bad_rows
    assert duplicates == result.duplicates
    assert invalid_emails == result.invalid_emails > 0
    assert {t: n[0] if n else 0 for t, n in written.items()} == result.rows
    # every reason of CONTRIBUTING.md's table is exercised
    assert {reason for table, reason in result.bad_rows if table == "events"} == {
        "missing_message_id", "invalid_text", "missing_event_name", "missing_identity",
        "missing_timestamp", "missing_received_at", "clock_skew", "invalid_json",
        "order_missing_id", "negative_order_total", "missing_required_property",
    }  # fmt: skip
    assert len([t for t, _ in result.bad_rows if t == "identifies"]) == 7
    assert len([t for t, _ in result.bad_rows if t == "product_catalog"]) == 4
    assert all(n > 0 for n in result.duplicates.values())


def test_shares_scale_the_broken_rows(tmp_path: Path) -> None:
    clean = _generate(tmp_path, "clean", seed=11, bad_row_share=0.0, duplicate_share=0.0)
    assert clean.result.bad_rows == {}
    assert clean.result.duplicates == dict.fromkeys(TABLES, 0)
    with clean.connect() as con:
        assert _outcomes(con)[:2] == ({}, dict.fromkeys(TABLES, 0))
    heavy = _generate(tmp_path, "heavy", seed=11, bad_row_share=0.1, duplicate_share=0.05)
    events = heavy.result.rows["events"]
    broken = sum(n for (table, _), n in heavy.result.bad_rows.items() if table == "events")
    assert broken == pytest.approx(0.1 * events, rel=0.02)
    assert heavy.result.duplicates["events"] == pytest.approx(0.05 * events, rel=0.05)


# --- blocks ---------------------------------------------------------------------------


def test_several_blocks_keep_ids_unique_and_report_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nudge.generator.assemble.BLOCK_CONTACTS", 40)
    calls: list[tuple[int, int]] = []
    path = tmp_path / "blocks" / "nudge.duckdb"
    result = generate(
        path, contacts=100, seed=5, end=END, days=120, progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(40, 100), (80, 100), (100, 100)]
    with duckdb.connect(str(path), read_only=True) as con:
        users = con.execute(
            "select count(distinct user_id) from raw.identifies where user_id like 'u%'"
            " and length(user_id) = 8"
        ).fetchone()
        assert users is not None and users[0] == 100
        # devices belong to one person each, across blocks
        shared = con.execute(
            """
            select count(*) from (
                select anonymous_id from raw.identifies
                where anonymous_id is not null and length(user_id) = 8 and user_id like 'u%'
                group by all having count(distinct user_id) > 1
            )
            """
        ).fetchone()
        assert shared == (0,)
        quarantined, duplicates, invalid_emails = _outcomes(con)
    assert quarantined == result.bad_rows
    assert duplicates == result.duplicates
    assert invalid_emails == result.invalid_emails


def test_end_is_utc_and_window_follows_days(tmp_path: Path) -> None:
    end = datetime(2026, 6, 1, 12)
    path = tmp_path / "window" / "nudge.duckdb"
    generate(path, contacts=30, seed=1, end=end, days=10)
    with duckdb.connect(str(path), read_only=True) as con:
        first, last = con.execute(
            'select min("timestamp"), max(received_at) from raw.events'
            ' where "timestamp" <= received_at'
        ).fetchone() or (None, None)
    assert first is not None and first >= end - timedelta(days=10)
    assert last is not None and last <= end
