"""The service layer: the runs the CLI, the demo and Dagster all start (declared syncs, the
due triggered sends, the ESP feedback pull, one person's erasure), each returning what it
did for the caller to print or record. Settings come from the environment
(``activation.settings``)."""

from .destinations import destination_settings, sends_destination
from .erase import Erasure, ErasureProgress, SettingsFor, erase_contact, raw_tables_owned
from .feedback import (
    FeedbackPull,
    ReadBack,
    no_engagement_reason,
    no_preferences_reason,
    no_suppressions_reason,
    pull_feedback,
    read_back,
)
from .sends import DueSends, send_due
from .syncs import DeclaredSyncRun, choose_syncs, declared_syncs, sync_declared

__all__ = [
    "DeclaredSyncRun",
    "DueSends",
    "Erasure",
    "ErasureProgress",
    "FeedbackPull",
    "ReadBack",
    "SettingsFor",
    "choose_syncs",
    "declared_syncs",
    "destination_settings",
    "erase_contact",
    "no_engagement_reason",
    "no_preferences_reason",
    "no_suppressions_reason",
    "pull_feedback",
    "raw_tables_owned",
    "read_back",
    "send_due",
    "sends_destination",
    "sync_declared",
]
