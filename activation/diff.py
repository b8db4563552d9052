"""The diff, computed in the warehouse: source rows (hashed in SQL) against
``activation.sync_state``. Each record key gets one action:

- ``added``     new key, or a key that left before and is back
- ``changed``   hash differs from the last confirmed hash
- ``retry``     failed last time and still in the audience
- ``unchanged`` same hash as confirmed
- ``remove``    left the audience (mirror mode) — or a removal that failed before
- ``discard``   failed before it was ever confirmed, and left: nothing to undo
- ``gone``      removed earlier and still absent (upsert mode: every key that left)

Written in plain SQL (md5, coalesce, cast, ||, row_number, full outer join) so it ports to
Postgres, Snowflake, BigQuery and Spark with at most a dialect macro.
"""

from __future__ import annotations

from .declarations import SEGMENT_COLUMN, SyncDeclaration
from .state import STATE_TABLE
from .warehouse import quote

NULL_MARK = "\\N"
SEPARATOR = "\x1f"
SEND_ACTIONS = ("added", "changed", "retry")


def mapping_signature(declaration: SyncDeclaration) -> str:
    """Changes whenever the mapping changes, so every row re-syncs after a mapping edit."""
    cfg = declaration.config
    parts = [
        f"id={cfg.identifier.column}",
        f"ext={cfg.external_id.column if cfg.external_id else ''}",
    ]
    parts += [f"a.{target}={column}" for target, column in sorted(cfg.fields.attributes.items())]
    parts += [f"p.{target}={column}" for target, column in sorted(cfg.fields.properties.items())]
    parts += [f"l.{target}={column}" for target, column in sorted(cfg.fields.lists.items())]
    if cfg.event is not None:
        parts.append(f"e={cfg.event.model_dump_json()}")
    options = cfg.destination_options()  # e.g. another Mailchimp audience: send everything there
    if options is not None:
        parts.append(f"o={options.model_dump_json()}")
    return ";".join(parts)


def row_hash_sql(declaration: SyncDeclaration) -> str:
    """md5 over the mapping signature and every mapped column, null-safe: a null and the
    text '\\N' hash differently because non-null values carry a 'v' prefix."""
    signature = mapping_signature(declaration).replace("'", "''")
    pieces = [f"'{signature}'"]
    for column in declaration.mapped_columns:
        pieces.append(f"coalesce('v' || cast({quote(column)} as varchar), '{NULL_MARK}')")
    joined = f" || '{SEPARATOR}' || ".join(pieces)
    return f"md5({joined})"


def record_key_sql(declaration: SyncDeclaration) -> str:
    """Emails identify Klaviyo profiles case-insensitively: the key is the trimmed lowercase.
    An event's key is its id column as it is (its idempotency key)."""
    event = declaration.config.event
    if declaration.config.object == "events" and event is not None:
        return f"cast({quote(event.id.column)} as varchar)"
    return f"lower(trim(cast({quote(declaration.config.identifier.column)} as varchar)))"


def source_filter_sql(declaration: SyncDeclaration) -> str:
    """The rows of the model this sync sends: an identifier, and with ``segments:`` only
    those segments' rows (segment keys are validated plain names, so inlined)."""
    conditions = [f"{quote(declaration.config.identifier.column)} is not null"]
    if declaration.config.object == "events":
        conditions.append(f"{record_key_sql(declaration)} is not null")
    keys = declaration.segment_keys
    if keys:
        listed = ", ".join(f"'{key}'" for key in keys)
        conditions.append(f"{quote(SEGMENT_COLUMN)} in ({listed})")
    return " and ".join(conditions)


def plan_sql(declaration: SyncDeclaration) -> str:
    """The planned rows: action, record_key, row_hash, old_hash, destination_ref, then the
    mapped columns. One parameter: the sync name."""
    relation = f"{quote(declaration.schema_name)}.{quote(declaration.table_name)}"
    columns = declaration.mapped_columns
    source_columns = ", ".join(quote(column) for column in columns)
    selected_columns = ", ".join(f"source.{quote(column)}" for column in columns)
    removal = "'remove'" if declaration.config.mode == "mirror" else "'gone'"
    return f"""
with source_rows as (
    select
        {record_key_sql(declaration)} as record_key,
        {row_hash_sql(declaration)} as row_hash,
        {source_columns}
    from {relation}
    where {source_filter_sql(declaration)}
),
ranked as (
    select
        source_rows.*,
        row_number() over (partition by record_key order by row_hash) as key_rank
    from source_rows
),
source as (
    select * from ranked where key_rank = 1
),
state as (
    select record_key, row_hash, status, destination_ref
    from {STATE_TABLE}
    where sync_name = ? and destination_target = ?
)
select
    case
        when state.record_key is null then 'added'
        when source.record_key is null and state.status = 'removed' then 'gone'
        when source.record_key is null and state.row_hash is null then 'discard'
        when source.record_key is null then {removal}
        when state.status = 'removed' then 'added'
        when state.status = 'failed' then 'retry'
        when state.row_hash = source.row_hash then 'unchanged'
        else 'changed'
    end as action,
    coalesce(source.record_key, state.record_key) as record_key,
    source.row_hash as row_hash,
    state.row_hash as old_hash,
    state.destination_ref as destination_ref,
    {selected_columns}
from source
full outer join state
    on source.record_key = state.record_key
"""


def counts_sql(declaration: SyncDeclaration) -> str:
    return f"select action, count(*) from ({plan_sql(declaration)}) as planned group by action"


def actions_sql(declaration: SyncDeclaration, actions: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{action}'" for action in actions)
    return (
        f"select * from ({plan_sql(declaration)}) as planned"
        f" where action in ({listed}) order by record_key"
    )


def duplicate_keys_sql(declaration: SyncDeclaration) -> str:
    relation = f"{quote(declaration.schema_name)}.{quote(declaration.table_name)}"
    key = record_key_sql(declaration)
    return (
        f"select count(*) from (select {key} as k from {relation}"
        f" where {source_filter_sql(declaration)} group by {key} having count(*) > 1)"
        " as duplicated"
    )
