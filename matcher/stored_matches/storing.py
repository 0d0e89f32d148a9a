"""Bulk writes of matches: binary COPY on PostgreSQL, executemany elsewhere; the caller commits.

On PostgreSQL the rows are built column-wise from the engine's arrays and sent with one binary
COPY: numbers go as their bytes, so a score is stored exactly as the engine computed it (as
on SQLite), and the reasons go packed (``matcher.models.packed_reasons``), their fixed-width
heads and ids laid out by numpy with the rest of each row, so no Python runs per row and the
server has nothing to parse. Other databases get the per-row records through executemany, the
column type packing each row's reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Table, delete, insert, text
from sqlalchemy.orm import Session

from matcher.engine import ENGINE_VERSION, TopK
from matcher.models import Match, StagedMatch, utcnow
from matcher.models.packed_reasons import HEAD, pack_columns
from matcher.stored_matches.publishing import build_table

COLUMNS = ("person_id", "placement_id", "score", "rank", "reasons", "engine_version")
# The order COPY sends them in: the reasons, the only field of varying length, last.
COPY_COLUMNS = (
    "person_id",
    "placement_id",
    "score",
    "rank",
    "engine_version",
    "computed_at",
    "reasons",
)
BATCH = 5_000
# Rows per COPY write: bounds the memory of the built rows.
COPY_ROWS = 50_000
# Binary COPY framing: signature, flags and header-extension length; -1 fields ends the data.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") * 2
COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
# Each row's bytes up to its reasons' ids, in network byte order: the field count, then a
# length and a value per field; the engine version's binary form is its text, and the reasons'
# (bytea) the packed value, whose head has its own layout.
ROW_HEAD = np.dtype(
    [
        ("fields", ">i2"),
        ("person_length", ">i4"),
        ("person_id", ">i4"),
        ("placement_length", ">i4"),
        ("placement_id", ">i4"),
        ("score_length", ">i4"),
        ("score", ">f8"),
        ("rank_length", ">i4"),
        ("rank", ">i4"),
        ("version_length", ">i4"),
        ("version", f"S{len(ENGINE_VERSION.encode())}"),
        ("computed_length", ">i4"),
        ("computed_at", ">i8"),
        ("reasons_length", ">i4"),
        ("reasons", HEAD),
    ]
)
POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
ID_SIZE = 4


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _postgres_micros(moment: datetime) -> int:
    """A timestamptz's binary value: whole microseconds since 2000-01-01 UTC."""
    since = moment - POSTGRES_EPOCH
    return (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds


def _interleave(heads: NDArray[np.void], ids: NDArray[np.int32], counts: NDArray[Any]) -> bytes:
    """Each row's fixed-width head followed by its ``counts[i]`` ids, all rows in turn."""
    size = heads.dtype.itemsize
    counts = counts.astype(np.int64)
    lengths = size + ID_SIZE * counts
    ends = np.cumsum(lengths)
    out = np.empty(int(ends[-1]) if len(ends) else 0, np.uint8)
    # Mark the ids' bytes; the heads fill the rest, in order.
    is_id = np.zeros(len(out), np.bool_)
    if len(ids):
        row = np.repeat(np.arange(len(heads)), counts)
        within = np.arange(len(ids)) - (np.cumsum(counts) - counts)[row]
        first = ends[row] - lengths[row] + size + ID_SIZE * within
        is_id[(first[:, None] + np.arange(ID_SIZE)).ravel()] = True
        out[is_id] = np.frombuffer(ids.astype("<i4").tobytes(), np.uint8)
    out[~is_id] = np.frombuffer(heads.tobytes(), np.uint8)
    return out.tobytes()


def _binary_rows(top: TopK, index: NDArray[np.intp], computed_at: datetime) -> bytes:
    """The rows of ``top`` at ``index`` in COPY's binary format (no header or trailer)."""
    reasons, ids = pack_columns(top.reasons.subset(index))
    counts = reasons["counts"].sum(axis=1, dtype=np.int64)
    head = np.empty(len(index), ROW_HEAD)
    head["fields"] = len(COPY_COLUMNS)
    head["person_length"] = head["placement_length"] = head["rank_length"] = 4
    head["score_length"] = head["computed_length"] = 8
    head["person_id"] = top.person_ids[index]
    head["placement_id"] = top.placement_ids[index]
    head["score"] = top.scores[index]
    head["rank"] = top.ranks[index]
    head["version_length"] = len(ENGINE_VERSION.encode())
    head["version"] = ENGINE_VERSION.encode()
    head["computed_at"] = _postgres_micros(computed_at)
    head["reasons_length"] = HEAD.itemsize + ID_SIZE * counts
    head["reasons"] = reasons
    return _interleave(head, ids, counts)


def copy_top(session: Session, table: str, top: TopK, computed_at: datetime) -> int:
    """COPY ``top``'s rows into ``table`` on PostgreSQL, in binary format, in slices."""
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    column_list = ", ".join(f'"{name}"' for name in COPY_COLUMNS)
    with cursor.copy(f'COPY "{table}" ({column_list}) FROM STDIN (FORMAT BINARY)') as copy:
        copy.write(COPY_HEADER)
        for start in range(0, len(top), COPY_ROWS):
            index = np.arange(start, min(start + COPY_ROWS, len(top)))
            copy.write(_binary_rows(top, index, computed_at))
        copy.write(COPY_TRAILER)
    return len(top)


def write_rows(
    session: Session, table: Table, rows: Iterable[dict[str, Any]], **constant: Any
) -> int:
    """Insert match-shaped ``rows`` (plus ``constant`` columns) into ``table``; return the count."""
    computed_at: datetime = constant.pop("computed_at", None) or utcnow()
    fixed = {**constant, "computed_at": computed_at}
    written = 0
    for batch in _batches(rows):
        session.execute(
            insert(table), [{**{name: row[name] for name in COLUMNS}, **fixed} for row in batch]
        )
        written += len(batch)
    return written


def write_top(session: Session, table: str, top: TopK, **constant: Any) -> int:
    """Store ``top``'s rows in ``table``: COPY on PostgreSQL, executemany elsewhere."""
    if len(top) == 0:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        assert not constant, "COPY writes no other constant column than computed_at"
        return copy_top(session, table, top, utcnow())
    tables = {
        Match.__tablename__: Match.__table__,
        StagedMatch.__tablename__: StagedMatch.__table__,
    }
    return write_rows(session, tables[table], top.records(), **constant)  # type: ignore[arg-type]


def stage_rows(session: Session, run_id: int, top: TopK) -> int:
    """Write ``top``'s rows as run ``run_id``'s: its build table on PostgreSQL, else staging."""
    if session.get_bind().dialect.name == "postgresql":
        return copy_top(session, build_table(run_id), top, utcnow()) if len(top) else 0
    return write_top(session, StagedMatch.__tablename__, top, run_id=run_id)


def replace_people_matches(session: Session, person_ids: Iterable[int], top: TopK | None) -> int:
    """Make ``person_ids``' stored matches exactly ``top``'s rows for them; return rows written."""
    delete_people_matches(session, person_ids)
    if top is None or len(top) == 0:
        return 0
    return write_top(session, Match.__tablename__, top)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def pg_array(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal of numbers, for ``CAST(:param AS type[])``.

    psycopg adapts a Python list element by element in Python; with thousands of ids that
    costs more than the query it feeds, while joining the numbers' text costs almost nothing.
    """
    return "{" + ",".join(map(repr, np.asarray(values).tolist())) + "}"


def delete_people_matches(session: Session, person_ids: Iterable[int]) -> None:
    """Delete every stored match of ``person_ids`` (caller commits)."""
    ids = [int(i) for i in person_ids]
    if not ids:
        return
    if _postgres(session):
        session.execute(
            text("DELETE FROM matches WHERE person_id = ANY(CAST(:ids AS integer[]))"),
            {"ids": pg_array(ids)},
        )
        return
    for start in range(0, len(ids), BATCH):
        session.execute(delete(Match).where(Match.person_id.in_(ids[start : start + BATCH])))


def delete_placement_matches(session: Session, placement_id: int) -> None:
    """Delete every stored match of one placement (caller commits)."""
    session.execute(delete(Match).where(Match.placement_id == int(placement_id)))


def shift_ranks(session: Session, shifts: Sequence[tuple[int, int, int, int]]) -> int:
    """Move ranks by (person, low, high, by): add ``by`` to that person's ranks low..high.

    One range per person. On PostgreSQL a single UPDATE joins the ranges, sent as arrays;
    elsewhere it is one executemany. Returns the rows moved.
    """
    if not shifts:
        return 0
    names = ("person_id", "low", "high", "by")
    if _postgres(session):
        columns = {name: pg_array([int(s[n]) for s in shifts]) for n, name in enumerate(names)}
        result = session.execute(
            text(
                "UPDATE matches AS m SET rank = m.rank + s.by "
                "FROM unnest(CAST(:person_id AS integer[]), CAST(:low AS integer[]), "
                "CAST(:high AS integer[]), CAST(:by AS integer[])) AS s(person_id, low, high, by) "
                "WHERE m.person_id = s.person_id AND m.rank BETWEEN s.low AND s.high"
            ),
            columns,
        )
    else:
        result = session.execute(
            text(
                "UPDATE matches SET rank = rank + :by "
                "WHERE person_id = :person_id AND rank BETWEEN :low AND :high"
            ),
            [dict(zip(names, (int(v) for v in s), strict=True)) for s in shifts],
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def drop_from_rank(session: Session, person_ids: Iterable[int], rank: int) -> None:
    """Delete ``person_ids``' rows ranked ``rank`` or lower (caller commits)."""
    ids = [int(i) for i in person_ids]
    if not ids:
        return
    if _postgres(session):
        session.execute(
            text(
                "DELETE FROM matches WHERE person_id = ANY(CAST(:ids AS integer[])) "
                "AND rank >= :rank"
            ),
            {"ids": pg_array(ids), "rank": int(rank)},
        )
        return
    for start in range(0, len(ids), BATCH):
        session.execute(
            delete(Match).where(Match.person_id.in_(ids[start : start + BATCH]), Match.rank >= rank)
        )
