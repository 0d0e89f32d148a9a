"""Bulk writes of matches: COPY on PostgreSQL, executemany elsewhere; the caller commits."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import Table, delete, insert
from sqlalchemy.orm import Session

from matcher.matching import TopK
from matcher.models import Match, StagedMatch, utcnow

COLUMNS = ("person_id", "placement_id", "score", "rank", "reasons", "engine_version")
BATCH = 5_000


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def write_rows(
    session: Session, table: Table, rows: Iterable[dict[str, Any]], **constant: Any
) -> int:
    """Insert match-shaped ``rows`` (plus ``constant`` columns) into ``table``; return the count."""
    computed_at: datetime = constant.pop("computed_at", None) or utcnow()
    fixed = {**constant, "computed_at": computed_at}
    written = 0
    if session.get_bind().dialect.name == "postgresql":
        names = [*COLUMNS, *fixed]
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        column_list = ", ".join(f'"{name}"' for name in names)
        with cursor.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy:
            tail = list(fixed.values())
            for row in rows:
                copy.write_row(
                    [
                        row["person_id"],
                        row["placement_id"],
                        row["score"],
                        row["rank"],
                        json.dumps(row["reasons"], separators=(",", ":")),
                        row["engine_version"],
                        *tail,
                    ]
                )
                written += 1
        return written
    for batch in _batches(rows):
        session.execute(
            insert(table), [{**{name: row[name] for name in COLUMNS}, **fixed} for row in batch]
        )
        written += len(batch)
    return written


def replace_people_matches(session: Session, person_ids: Sequence[int], top: TopK | None) -> int:
    """Make ``person_ids``' stored matches exactly ``top``'s rows for them; return rows written."""
    ids = [int(i) for i in person_ids]
    for start in range(0, len(ids), BATCH):
        session.execute(delete(Match).where(Match.person_id.in_(ids[start : start + BATCH])))
    if top is None or len(top) == 0:
        return 0
    return write_rows(session, Match.__table__, top.records())  # type: ignore[arg-type]


def stage_rows(session: Session, run_id: int, top: TopK) -> int:
    """Write ``top``'s rows into the staging table of run ``run_id``."""
    return write_rows(session, StagedMatch.__table__, top.records(), run_id=run_id)  # type: ignore[arg-type]
