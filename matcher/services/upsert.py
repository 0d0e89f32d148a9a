"""Race-safe "insert unless it exists" for rows guarded by a unique constraint.

Services do not use savepoints for this: the outbox's after-commit hook also fires when a
savepoint is released, and a failed INSERT would otherwise poison the caller's transaction.
``INSERT ... ON CONFLICT DO NOTHING`` works on both PostgreSQL and SQLite and waits for a
concurrent inserter of the same key to finish, so the caller then sees its row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from matcher.database import rows_changed
from matcher.models.base import Base


def insert_unless_exists(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """Insert a row of ``model`` unless it conflicts with an existing one; True if inserted."""
    session.flush()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return bool(rows_changed(session, insert(model).values(**values).on_conflict_do_nothing()))
