"""``activation.esp_suppressions``: every suppression read back from an ESP (unsubscribes,
bounces, complaints made there), keyed by a deterministic id that is also the ``message_id``
of the raw event landed for it. The send-time check reads the ones that landed after the
``as_of`` of the ``triggered_sends`` build (earlier ones are already in contact_profiles).
"""

from __future__ import annotations

from ..warehouse import WarehouseConnection
from ..warehouse.tables import Table, text, timestamp

SUPPRESSIONS = Table(
    "activation",
    "esp_suppressions",
    (
        text("message_id", nullable=False),
        text("destination_target", nullable=False),
        text("destination_ref", nullable=False),
        text("email"),
        text("external_id"),
        text("contact_id"),
        text("reason", nullable=False),
        timestamp("suppressed_at", nullable=False),
        timestamp("landed_at", nullable=False),
    ),
    primary_key=("message_id",),
)
SUPPRESSIONS_TABLE = SUPPRESSIONS.qualified
SUPPRESSION_COLUMNS = SUPPRESSIONS.column_names
# one row per complete read-back: where the next one starts (a read cut short by an error
# advances nothing, since the ESP does not return suppressions in time order)
READS = Table(
    "activation",
    "esp_suppression_reads",
    (
        text("destination_target", nullable=False),
        timestamp("started_at", nullable=False),
        timestamp("finished_at", nullable=False),
        timestamp("since"),
        timestamp("watermark"),
    ),
)
READS_TABLE = READS.qualified


def ensure_suppressions(warehouse: WarehouseConnection) -> None:
    warehouse.ensure_table(SUPPRESSIONS)
    warehouse.ensure_table(READS)
