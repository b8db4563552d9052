"""``activation.esp_suppressions``: every suppression read back from an ESP (unsubscribes,
bounces, complaints made there), keyed by a deterministic id that is also the ``message_id``
of the raw event landed for it. The send-time check reads the ones that landed after the
``as_of`` of the ``triggered_sends`` build (earlier ones are already in contact_profiles).
"""

from __future__ import annotations

from ..warehouse import Warehouse

SUPPRESSIONS_TABLE = "activation.esp_suppressions"
# one row per complete read-back: where the next one starts (a read cut short by an error
# advances nothing, since the ESP does not return suppressions in time order)
READS_TABLE = "activation.esp_suppression_reads"

SUPPRESSION_COLUMNS = (
    "message_id",
    "destination_target",
    "destination_ref",
    "email",
    "external_id",
    "contact_id",
    "reason",
    "suppressed_at",
    "landed_at",
)

DDL = (
    "create schema if not exists activation",
    f"""create table if not exists {SUPPRESSIONS_TABLE} (
        message_id varchar primary key,
        destination_target varchar not null,
        destination_ref varchar not null,
        email varchar,
        external_id varchar,
        contact_id varchar,
        reason varchar not null,
        suppressed_at timestamp not null,
        landed_at timestamp not null
    )""",
    f"""create table if not exists {READS_TABLE} (
        destination_target varchar not null,
        started_at timestamp not null,
        finished_at timestamp not null,
        since timestamp,
        watermark timestamp
    )""",
)


def ensure_suppressions(warehouse: Warehouse) -> None:
    for statement in DDL:
        warehouse.execute(statement)
