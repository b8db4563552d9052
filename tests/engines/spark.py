"""A local Spark session for the tests, the one dbt-spark's `session` method then uses.

dbt-spark (method: session) calls SparkSession.builder.enableHiveSupport().getOrCreate() in
the test process, so the session this fixture starts first is the one dbt builds in. Its
settings are those of the `spark` output of profiles.yml (nudge.raw_copy.local_spark_session,
with NUDGE_SPARK_DIR a temp dir): table files never land in the working directory, and the
session time zone is UTC, matching the naive-UTC timestamps of the raw contract. One
difference: the tests
keep the catalog in memory instead of profiles.yml's Derby metastore, which a user needs
for tables that outlive the session but which makes every dbt metadata query slower (the
Spark build takes about a third less time without it). And the test data is tiny, so
compiling each query to Java (whole-stage code generation, Janino) costs more than running
it: the session interprets expressions instead, without adaptive execution and with one
shuffle partition (the fixture rows' build, timed once by hand alone on 2 cores: 234 s
without these, 172 s with them).
Interpreted and generated code compute the same results; the portability tests compare
them with DuckDB's and PostgreSQL's either way.

One JVM per test process (per xdist worker); stopped at the end of the session.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from nudge.raw_copy import local_spark_session

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


TEST_SESSION_SETTINGS = {
    "spark.sql.catalogImplementation": "in-memory",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.shuffle.partitions": "1",
}


@dataclass(frozen=True)
class SparkEngine:
    session: SparkSession
    directory: Path

    def fresh_session(self) -> SparkSession:
        """The session with every database but `default` dropped: one session serves several
        datasets, and incremental models (segment_transitions keeps its history) must start
        empty."""
        for database in self.session.catalog.listDatabases():
            if database.name != "default":
                self.session.sql(f"drop database if exists `{database.name}` cascade")
        return self.session

    def dbt_env(self, schema: str = "nudge") -> dict[str, str]:
        """Environment for the `spark` output of profiles.yml."""
        return {"NUDGE_SPARK_DIR": str(self.directory), "NUDGE_SPARK_SCHEMA": schema}


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[SparkEngine]:
    from pyspark.sql import SparkSession

    if SparkSession.getActiveSession() is not None:
        pytest.fail("a Spark session is already running in this process")
    directory = Path(tempfile.mkdtemp(prefix="nudge-spark-"))
    session = local_spark_session(directory, **TEST_SESSION_SETTINGS)
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield SparkEngine(session=session, directory=directory)
    finally:
        session.stop()
        shutil.rmtree(directory, ignore_errors=True)
