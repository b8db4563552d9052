"""Copy the raw tables of a DuckDB warehouse to another engine, keeping the contract types.

The sample-data generator and the test fixtures write `raw.events`, `raw.identifies` and
`raw.product_catalog` into a DuckDB file; building the dbt project on PostgreSQL or Spark
needs the same rows there. Columns are copied by name with their DuckDB types mapped to the
engine's (extra columns a collector added are copied too: schema drift is part of the
contract). Existing tables are replaced.

- PostgreSQL: DuckDB writes CSV, psycopg2 streams it with COPY. PostgreSQL text cannot hold
  NUL, so a NUL character is replaced by U+FFFD (both are invalid text to the staging
  checks, so the row is quarantined for the same reason).
- Spark: DuckDB writes Parquet (timestamps as ISO text, so no time zone is applied on the
  way), and Spark creates a managed Parquet table from it, casting to the contract types.
  `local_spark_session` starts the session the `spark` output of profiles.yml describes,
  so tables copied in one process are there for a later `dbt build`.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

RAW_TABLES = ("events", "identifies", "product_catalog")

_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def local_spark_settings(spark_dir: Path) -> dict[str, str]:
    """The server_side_parameters of the `spark` output in profiles.yml (keep them in step):
    tables and the Derby metastore under `spark_dir`, UTC session time zone."""
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


def local_spark_session(spark_dir: Path, **extra: str) -> SparkSession:
    """A local Spark session with the profile's settings (plus `extra` ones)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[*]").appName("nudge").enableHiveSupport()
    for key, value in {**local_spark_settings(spark_dir), **extra}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _open(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The DuckDB file, read-only unless this process already holds it open read-write
    (dbt-duckdb keeps its connection after an in-process build; DuckDB then refuses a
    second connection with another configuration)."""
    if not warehouse.exists():
        raise FileNotFoundError(warehouse)
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.ConnectionException:
        return duckdb.connect(str(warehouse))


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    if not rows:
        raise LookupError(f"{schema}.{table} not found in the DuckDB warehouse")
    return [(str(name), str(data_type).upper()) for name, data_type in rows]


def _engine_type(duckdb_type: str, engine: str) -> str:
    decimal = _DECIMAL.fullmatch(duckdb_type)
    if decimal:
        return f"{'numeric' if engine == 'postgres' else 'decimal'}({decimal[1]}, {decimal[2]})"
    names = {
        "postgres": {
            "VARCHAR": "text",
            "TIMESTAMP": "timestamp",
            "DATE": "date",
            "INTEGER": "integer",
            "BIGINT": "bigint",
            "SMALLINT": "smallint",
            "DOUBLE": "double precision",
            "FLOAT": "real",
            "BOOLEAN": "boolean",
        },
        "spark": {
            "VARCHAR": "string",
            "TIMESTAMP": "timestamp",
            "DATE": "date",
            "INTEGER": "int",
            "BIGINT": "bigint",
            "SMALLINT": "smallint",
            "DOUBLE": "double",
            "FLOAT": "float",
            "BOOLEAN": "boolean",
        },
    }[engine]
    if duckdb_type not in names:
        raise TypeError(f"no {engine} type for DuckDB type {duckdb_type}")
    return names[duckdb_type]


def _quoted(name: str, quote: str = '"') -> str:
    return quote + name.replace(quote, quote * 2) + quote


def _export_select(
    schema: str, table: str, columns: Sequence[tuple[str, str]], nul_replacement: str | None
) -> str:
    """A DuckDB select of `table` with timestamps as ISO text (and NUL replaced in text)."""
    parts = []
    for name, data_type in columns:
        column = _quoted(name)
        if data_type == "TIMESTAMP":
            parts.append(f"strftime({column}, '%Y-%m-%d %H:%M:%S.%f') as {column}")
        elif data_type == "VARCHAR" and nul_replacement is not None:
            parts.append(f"replace({column}, chr(0), '{nul_replacement}') as {column}")
        else:
            parts.append(column)
    return f"select {', '.join(parts)} from {_quoted(schema)}.{_quoted(table)}"


def copy_raw_to_postgres(
    warehouse: Path,
    connection: Mapping[str, Any],
    schema: str = "raw",
    tables: Sequence[str] = RAW_TABLES,
    source_schema: str = "raw",
) -> dict[str, int]:
    """Copy `tables` from the DuckDB file to PostgreSQL `schema`; return rows per table.

    `connection` holds psycopg2.connect keyword arguments (host, port, user, dbname, ...).
    """
    import psycopg2

    counts: dict[str, int] = {}
    with (
        _open(warehouse) as source,
        tempfile.TemporaryDirectory(prefix="nudge-raw-copy-") as tmp,
    ):
        pg = psycopg2.connect(**connection)
        try:
            with pg, pg.cursor() as cur:
                cur.execute(f"create schema if not exists {_quoted(schema)}")
                for table in tables:
                    columns = _columns(source, source_schema, table)
                    csv_path = Path(tmp) / f"{table}.csv"
                    select = _export_select(source_schema, table, columns, "\ufffd")
                    # FORCE_QUOTE: a quoted "" is an empty string, an unquoted empty field NULL
                    source.execute(
                        f"copy ({select}) to '{csv_path}' (format csv, header false, force_quote *)"
                    )
                    target = f"{_quoted(schema)}.{_quoted(table)}"
                    ddl = ", ".join(
                        f"{_quoted(name)} {_engine_type(data_type, 'postgres')}"
                        for name, data_type in columns
                    )
                    cur.execute(f"drop table if exists {target}")
                    cur.execute(f"create table {target} ({ddl})")
                    with csv_path.open(encoding="utf-8") as data:
                        cur.copy_expert(f"copy {target} from stdin with (format csv)", data)
                    cur.execute(f"select count(*) from {target}")
                    counts[table] = int(cur.fetchone()[0])
        finally:
            pg.close()
    return counts


def copy_raw_to_spark(
    warehouse: Path,
    spark: SparkSession,
    staging_dir: Path,
    schema: str = "raw",
    tables: Sequence[str] = RAW_TABLES,
    source_schema: str = "raw",
) -> dict[str, int]:
    """Copy `tables` from the DuckDB file to Spark `schema` (managed Parquet tables).

    `staging_dir` receives the intermediate Parquet files; it must stay readable until the
    copy returns (the tables themselves live in the session's warehouse dir).
    """
    staging_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    spark.sql(f"create database if not exists {_quoted(schema, '`')}")
    with _open(warehouse) as source:
        for table in tables:
            columns = _columns(source, source_schema, table)
            parquet = staging_dir / f"{schema}_{table}.parquet"
            select = _export_select(source_schema, table, columns, None)
            source.execute(f"copy ({select}) to '{parquet}' (format parquet)")
            target = f"{_quoted(schema, '`')}.{_quoted(table, '`')}"
            casts = ", ".join(
                f"cast({_quoted(name, '`')} as {_engine_type(data_type, 'spark')})"
                f" as {_quoted(name, '`')}"
                for name, data_type in columns
            )
            spark.sql(f"drop table if exists {target}")
            spark.sql(
                f"create table {target} using parquet as"
                f" select {casts} from parquet.`{parquet.resolve()}`"
            )
            counts[table] = int(spark.sql(f"select count(*) from {target}").collect()[0][0])
    return counts
