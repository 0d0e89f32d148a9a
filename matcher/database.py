"""Engine options per database: SQLite tuned for a web app and a worker writing at once."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.engine import Connection, CursorResult, Engine, make_url
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

SQLITE_BUSY_TIMEOUT_MS = 15_000
# Ids are PostgreSQL INTEGERs: a larger number cannot name a row, and comparing with one fails.
ID_MAX = 2**31 - 1


def engine_options(database_url: str) -> dict[str, Any]:
    """Keyword arguments for ``create_engine`` that suit ``database_url``."""
    if make_url(database_url).get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside one writer; the busy timeout makes a second writer wait
    # instead of failing; SQLite leaves foreign keys off unless asked.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_before_first_savepoint(connection: Connection, _name: str) -> None:
    # pysqlite only sends BEGIN before a write, so a SAVEPOINT before any write would open the
    # transaction itself and releasing it would COMMIT: a later rollback could not undo it.
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def prepare_engine(engine: Engine) -> Engine:
    """Install per-connection settings on ``engine``; a no-op for PostgreSQL."""
    if engine.dialect.name == "sqlite" and not event.contains(
        engine, "connect", _configure_sqlite_connection
    ):
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "savepoint", _begin_before_first_savepoint)
    return engine


def rows_changed(session: Session, statement: UpdateBase) -> int:
    """Run an INSERT, UPDATE or DELETE in ``session`` and return how many rows it changed."""
    # Session.execute is typed as returning any Result; a DML statement's is a CursorResult.
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount
