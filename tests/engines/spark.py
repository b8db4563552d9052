"""A local Spark session for the tests, the one dbt-spark's `session` method then uses.

dbt-spark (method: session) calls SparkSession.builder.enableHiveSupport().getOrCreate() in
the test process, so the session this fixture starts first is the one dbt builds in. Its
settings are those of the `spark` output of profiles.yml (which reads NUDGE_SPARK_DIR):
table files live in a temp dir, never in the working directory, and the session time zone
is UTC, matching the naive-UTC timestamps of the raw contract. One difference: the tests
keep the catalog in memory instead of profiles.yml's Derby metastore, which a user needs
for tables that outlive the session but which makes every dbt metadata query slower (the
Spark build takes about a third less time without it).

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

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def spark_settings(spark_dir: Path) -> dict[str, str]:
    """The server_side_parameters of the `spark` output in profiles.yml, for `spark_dir`."""
    return {
        "spark.sql.warehouse.dir": f"{spark_dir}/tables",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={spark_dir} -Duser.timezone=UTC",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            "jdbc:derby:;databaseName=metastore_db;create=true"
        ),
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.sql.shuffle.partitions": "2",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # what dbt-spark forces on every session
        "spark.sql.ansi.enabled": "false",
    }


@dataclass(frozen=True)
class SparkEngine:
    session: SparkSession
    directory: Path

    def dbt_env(self, schema: str = "nudge") -> dict[str, str]:
        """Environment for the `spark` output of profiles.yml."""
        return {"NUDGE_SPARK_DIR": str(self.directory), "NUDGE_SPARK_SCHEMA": schema}


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[SparkEngine]:
    from pyspark.sql import SparkSession

    if SparkSession.getActiveSession() is not None:
        pytest.fail("a Spark session is already running in this process")
    directory = Path(tempfile.mkdtemp(prefix="nudge-spark-"))
    builder = SparkSession.builder.master("local[2]").appName("nudge-tests").enableHiveSupport()
    for key, value in spark_settings(directory).items():
        builder = builder.config(key, value)
    builder = builder.config("spark.sql.catalogImplementation", "in-memory")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield SparkEngine(session=session, directory=directory)
    finally:
        session.stop()
        shutil.rmtree(directory, ignore_errors=True)
