"""tests/test_portability.py on its generated dataset (with a send history), in a file of
its own: `make unit` gives whole files to its two workers, and the two datasets' Spark
builds, some 15 minutes each on 2 cores, then run at once instead of one after the other."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.engines.postgres import PostgresServer
from tests.engines.spark import SparkEngine
from tests.test_portability import assert_builds_alike


@pytest.mark.slow
def test_project_builds_alike_on_duckdb_postgres_and_spark_generated(
    tmp_path: Path,
    postgres_server: PostgresServer,
    spark_engine: SparkEngine,
    record_property: Callable[[str, object], None],
) -> None:
    pytest.importorskip("nudge.generator", reason="the sample-data generator has not landed")
    assert_builds_alike("generated", tmp_path, postgres_server, spark_engine, record_property)
