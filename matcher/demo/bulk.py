"""Bulk inserts: COPY on PostgreSQL, executemany elsewhere; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from matcher.models.base import Base


def table_of(model: type[Base]) -> Table:
    """The Table ``model`` is mapped to (SQLAlchemy types ``__table__`` as any FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` as fast as the database allows."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        defaults = _python_defaults(table, rows[0])
        columns = [*rows[0], *defaults]
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        names = ", ".join(f'"{column}"' for column in columns)
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([_plain(value) for value in {**row, **defaults}.values()])
        return
    session.execute(insert(table), list(rows))


def insert_returning_ids(
    session: Session, table: Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` into ``table`` and return their new ids, in the order given."""
    if session.get_bind().dialect.name == "postgresql":
        sequence = f"{table.name}_id_seq"
        ids = list(
            session.scalars(
                select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))
            )
        )
        bulk_insert(session, table, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
        return ids
    return list(
        session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    )


def _python_defaults(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """Values of the Python-side column defaults that COPY would otherwise skip."""
    values = {}
    for column in table.columns:
        default = column.default
        if column.name in row or default is None or not hasattr(default, "arg"):
            continue
        values[column.name] = default.arg(None) if callable(default.arg) else default.arg
    return values


def _plain(value: Any) -> Any:
    # Enum members go over the wire as their stored string values.
    return getattr(value, "value", value)
