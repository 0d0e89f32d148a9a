"""Bulk writes of matches: binary COPY on PostgreSQL, executemany elsewhere; the caller commits.

On PostgreSQL the rows are built column-wise from the engine's arrays (reasons included, as
JSON text built per component rather than per row through dicts) and sent with one binary
COPY: numbers go as their bytes, so a score is stored exactly as the engine computed it (as
on SQLite), and the server only checks the reasons' JSON syntax (the column is json, not
jsonb: decomposing each document was most of the COPY's cost). Other databases get the
per-row records through executemany.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import chain, islice, repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Table, delete, insert, text
from sqlalchemy.orm import Session

from matcher.engine import ENGINE_VERSION, TopK
from matcher.engine.components import COMPONENTS
from matcher.engine.explain import (
    CONTRIBUTION_PLACES,
    DISTANCE_PLACES,
    RATING_PLACES,
    SIMILARITY_PLACES,
    Reasons,
)
from matcher.models import Match, StagedMatch, utcnow
from matcher.stored_matches.publishing import build_table

COLUMNS = ("person_id", "placement_id", "score", "rank", "reasons", "engine_version")
BATCH = 5_000
# Rows per COPY write: bounds the memory of the formatted rows.
COPY_ROWS = 50_000
# Binary COPY framing: signature, flags and header-extension length; -1 fields ends the data.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") * 2
COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
# Each row's bytes up to its reasons, in network byte order: the field count, then a length
# and a value per field; a json value's binary form is its text.
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
        ("reasons_length", ">i4"),
    ]
)
POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _slices(flat: str, matrix: Any, lengths: np.ndarray) -> list[str]:
    per_entry = lengths[matrix.indices] if matrix.nnz else np.empty(0, np.int64)
    offsets = np.r_[0, np.cumsum(per_entry)]
    starts = offsets[matrix.indptr[:-1]].tolist()
    ends = offsets[matrix.indptr[1:]].tolist()
    # Drop each body's trailing comma.
    return [flat[a : b - 1] if b > a else "" for a, b in zip(starts, ends, strict=True)]


def _slices_for(matrix: Any, ids: np.ndarray) -> list[str]:
    matrix = matrix.tocsr()
    if len(ids) > 1 and not np.all(np.diff(ids) > 0):
        # Columns renumbered in id order, so that each row's ids come out ascending.
        order = np.argsort(ids, kind="stable")
        rank = np.empty(len(ids), np.int64)
        rank[order] = np.arange(len(ids))
        matrix = matrix.copy()
        matrix.indices = rank[matrix.indices].astype(matrix.indices.dtype)
        matrix.has_sorted_indices = False
        ids = ids[order]
    matrix.sort_indices()
    tokens = np.array([f"{int(i)}," for i in ids] + [","], dtype=object)
    lengths = np.array([len(t) for t in tokens], np.int64)
    flat = "".join(tokens[matrix.indices].tolist()) if matrix.nnz else ""
    return _slices(flat, matrix, lengths)


def _signed(values: np.ndarray, places: int) -> list[np.ndarray]:
    """Sign, whole part and fraction digits of ``values`` rounded to ``places`` decimals."""
    scaled = np.rint(np.asarray(values, np.float64) * 10.0**places).astype(np.int64)
    magnitude = np.abs(scaled)
    sign = np.where(scaled < 0, "-", "").astype(object)
    return [sign, magnitude // 10**places, magnitude % 10**places]


_BOOLEAN = np.array(["false", "true"], dtype=object)
# Each component's JSON, as a %-template, and how many fields it takes.
_EVIDENCE = {
    "themes": '{"shared_theme_ids":[%s]}',
    "skills": '{"shared_skill_ids":[%s]}',
    "text": '{"similarity":%s%d.%0' + str(SIMILARITY_PLACES) + "d}",
    "distance": '{"distance_km":%s,"remote":%s}',
    "start": '{"days_to_start":%d}',
    "bridging": '{"local_organisation":%s}',
    "not_for_me": '{"similar_to_dismissed_ids":[%s]}',
    "interests": '{"similar_to_interest_ids":[%s]}',
    "host_rating": '{"rating":%s,"reflections":%d}',
    "exposure": "{}",
}


def _component_fields(reasons: Reasons) -> list[list[np.ndarray]]:
    """Per component, the arrays its template's fields come from, in template order."""
    distance = reasons.distance_km
    tenths = np.rint(np.nan_to_num(distance) * 10.0**DISTANCE_PLACES).astype(np.int64)
    distance_text = np.array(
        [f"{t // 10}.{t % 10}" if t >= 0 else f"-{-t // 10}.{-t % 10}" for t in tenths.tolist()],
        dtype=object,
    )
    distance_text[np.isnan(distance)] = "null"
    rating_tenths = np.rint(np.nan_to_num(reasons.host_rating) * 10.0**RATING_PLACES)
    rating_text = np.array([f"{t // 10}.{t % 10}" for t in rating_tenths.astype(np.int64)], object)
    rating_text[np.isnan(reasons.host_rating)] = "null"
    evidence = {
        "themes": [np.array(_slices_for(reasons.shared_themes, reasons.theme_ids), object)],
        "skills": [np.array(_slices_for(reasons.shared_skills, reasons.skill_ids), object)],
        "text": _signed(reasons.text_similarity, SIMILARITY_PLACES),
        "distance": [distance_text, _BOOLEAN[reasons.remote.astype(np.intp)]],
        "start": [reasons.days_to_start.astype(np.int64)],
        "bridging": [_BOOLEAN[reasons.organisation_local.astype(np.intp)]],
        "not_for_me": [np.array(_slices_for(reasons.dismissed, reasons.placement_ids), object)],
        "interests": [np.array(_slices_for(reasons.interested, reasons.placement_ids), object)],
        "host_rating": [rating_text, reasons.host_reflections.astype(np.int64)],
        "exposure": [],
    }
    return [
        _signed(reasons.contributions[:, column], CONTRIBUTION_PLACES) + evidence[name]
        for column, name in enumerate(COMPONENTS)
    ]


def _formatted(
    reasons: Reasons, head: str, head_fields: list[np.ndarray], tail: str
) -> tuple[np.ndarray, list[str]]:
    """One %-formatted text per pair: ``head`` + the reasons' JSON + ``tail``.

    Pairs are grouped by which components are non-zero; each group has one template, so a
    pair costs one ``%`` operation. Returns the pair order and the texts in that order.
    """
    fields = _component_fields(reasons)
    nonzero = reasons.contributions != 0.0
    mask = (nonzero * (1 << np.arange(len(COMPONENTS)))).sum(axis=1)
    order = np.argsort(mask, kind="stable")
    bounds = np.flatnonzero(np.diff(mask[order])) + 1
    texts: list[str] = []
    for group in np.split(order, bounds):
        if len(group) == 0:
            continue
        present = [c for c in range(len(COMPONENTS)) if nonzero[group[0], c]]
        items = [
            f'{{"component":"{COMPONENTS[c]}","contribution":%s%d.%0{CONTRIBUTION_PLACES}d,'
            f'"evidence":{_EVIDENCE[COMPONENTS[c]]}}}'
            for c in present
        ]
        template = head + "[" + ",".join(items) + "]" + tail
        columns = [a[group].tolist() for a in head_fields]
        columns += [a[group].tolist() for c in present for a in fields[c]]
        if columns:
            texts.extend(template % values for values in zip(*columns, strict=True))
        else:  # no field at all: every pair of the group has the same text
            texts.extend([template % ()] * len(group))
    return order, texts


def reasons_json(reasons: Reasons) -> list[str]:
    """Each pair's reasons as compact JSON text, parsing to exactly ``reasons.for_pair(i)``."""
    order, texts = _formatted(reasons, "", [], "")
    out = np.empty(len(texts), dtype=object)
    out[order] = texts
    return list(out)


def _row_tail(computed_at: datetime) -> bytes:
    """The fields after the reasons, the same on every row: engine version and computed at."""
    version = ENGINE_VERSION.encode()
    # timestamptz: whole microseconds since 2000-01-01 UTC.
    since = computed_at - POSTGRES_EPOCH
    micros = (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds
    return b"".join(
        [
            len(version).to_bytes(4, "big"),
            version,
            (8).to_bytes(4, "big"),
            micros.to_bytes(8, "big", signed=True),
        ]
    )


def _binary_rows(top: TopK, index: NDArray[np.intp], tail: bytes) -> bytes:
    """The rows of ``top`` at ``index`` in COPY's binary format (no header or trailer).

    Reasons come out grouped by their template (see ``_formatted``), so the heads are put in
    the same order; the order of rows in a COPY is of no consequence.
    """
    order, texts = _formatted(top.reasons.subset(index), "", [], "")
    pairs = index[order]
    # The JSON holds only numbers, booleans, null and fixed keys: ASCII, nothing to escape.
    reasons = [text.encode("ascii") for text in texts]
    head = np.empty(len(pairs), ROW_HEAD)
    head["fields"] = len(COLUMNS) + 1  # and computed_at
    head["person_length"] = head["placement_length"] = head["rank_length"] = 4
    head["score_length"] = 8
    head["person_id"] = top.person_ids[pairs]
    head["placement_id"] = top.placement_ids[pairs]
    head["score"] = top.scores[pairs]
    head["rank"] = top.ranks[pairs]
    head["reasons_length"] = np.fromiter(map(len, reasons), np.int64, count=len(reasons))
    flat, size = head.tobytes(), ROW_HEAD.itemsize
    heads = [flat[start : start + size] for start in range(0, len(flat), size)]
    return b"".join(chain.from_iterable(zip(heads, reasons, repeat(tail), strict=False)))


def copy_top(session: Session, table: str, top: TopK, computed_at: datetime) -> int:
    """COPY ``top``'s rows into ``table`` on PostgreSQL, in binary format, in slices."""
    tail = _row_tail(computed_at)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    column_list = ", ".join(f'"{name}"' for name in (*COLUMNS, "computed_at"))
    with cursor.copy(f'COPY "{table}" ({column_list}) FROM STDIN (FORMAT BINARY)') as copy:
        copy.write(COPY_HEADER)
        for start in range(0, len(top), COPY_ROWS):
            index = np.arange(start, min(start + COPY_ROWS, len(top)))
            copy.write(_binary_rows(top, index, tail))
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
