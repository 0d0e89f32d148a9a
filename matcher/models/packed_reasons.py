"""Matches' reasons as the database keeps them: a few fixed-width numbers and the evidence ids.

A full rebuild writes a million and more matches, each with its reasons; as JSON text they cost
8 µs a row to format and more to parse on the server (#14 §4). Every reason is a fixed set of
figures and four lists of ids, so the column holds them packed, and the column type gives
every reader the same list of ``Reason`` dicts the engine's ``Reasons.for_pair`` makes.

The layout, little-endian, version 1 (``HEAD`` then the ids):

- format version (u8), then each of ``COMPONENTS``' contributions in millionths (i32 x 10);
- text similarity in ten-thousandths, distance in tenths of a km (``NULL_I32``: unknown), days
  to start, the host's reflections (i32 each), the host's rating in tenths (i16, ``NULL_I16``:
  none), flags (u8: 1 remote, 2 local organisation);
- how many shared themes, shared skills, "not for me" and interest ids follow (u16 x 4), then
  those ids (i32), each list ascending.

Figures are kept to the decimals the reasons state (``explain``'s places), so a figure read
back is the double its decimal text parses to, as when the column was JSON. A reason whose
contribution is zero is left out, as the engine leaves it out.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sqlalchemy import LargeBinary, TypeDecorator

from matcher.engine.components import COMPONENTS
from matcher.engine.explain import (
    CONTRIBUTION_PLACES,
    DISTANCE_PLACES,
    RATING_PLACES,
    SIMILARITY_PLACES,
    Reason,
    Reasons,
)

FORMAT_VERSION = 1
NULL_I32 = -(2**31)
NULL_I16 = -(2**15)
REMOTE, LOCAL_ORGANISATION = 1, 2
# The evidence lists, in the order their ids follow the head: (component, evidence key).
ID_LISTS = (
    ("themes", "shared_theme_ids"),
    ("skills", "shared_skill_ids"),
    ("not_for_me", "similar_to_dismissed_ids"),
    ("interests", "similar_to_interest_ids"),
)
HEAD = np.dtype(
    [
        ("version", "u1"),
        ("contributions", "<i4", (len(COMPONENTS),)),
        ("similarity", "<i4"),
        ("distance", "<i4"),
        ("days_to_start", "<i4"),
        ("reflections", "<i4"),
        ("rating", "<i2"),
        ("flags", "u1"),
        ("counts", "<u2", (len(ID_LISTS),)),
    ]
)
_HEAD = struct.Struct(f"<B{len(COMPONENTS)}i4ihB{len(ID_LISTS)}H")
assert _HEAD.size == HEAD.itemsize


def _scaled(values: Any, places: int) -> NDArray[np.int64]:
    return np.rint(np.asarray(values, np.float64) * 10.0**places).astype(np.int64)


def _ascending_ids(matrix: sp.csr_matrix, ids: NDArray[np.int64]) -> sp.csr_matrix:
    """``matrix`` with its columns renumbered in ``ids`` order, indices sorted per row."""
    order = np.argsort(ids, kind="stable")
    rank = np.empty(len(ids), np.int64)
    rank[order] = np.arange(len(ids))
    out = sp.csr_matrix(
        (np.ones(matrix.nnz, np.int8), rank[matrix.indices], matrix.indptr.copy()),
        shape=matrix.shape,
    )
    out.sort_indices()
    return out


def pack_columns(reasons: Reasons) -> tuple[NDArray[np.void], NDArray[np.int32]]:
    """Every pair's head, and all pairs' ids in pair order (each pair's four lists in turn)."""
    n = len(reasons)
    heads = np.zeros(n, HEAD)
    heads["version"] = FORMAT_VERSION
    heads["contributions"] = _scaled(reasons.contributions, CONTRIBUTION_PLACES)
    heads["similarity"] = _scaled(reasons.text_similarity, SIMILARITY_PLACES)
    distance = reasons.distance_km
    heads["distance"] = np.where(
        np.isnan(distance), NULL_I32, _scaled(np.nan_to_num(distance), DISTANCE_PLACES)
    )
    heads["days_to_start"] = reasons.days_to_start
    heads["reflections"] = reasons.host_reflections
    rating = reasons.host_rating
    heads["rating"] = np.where(
        np.isnan(rating), NULL_I16, _scaled(np.nan_to_num(rating), RATING_PLACES)
    )
    heads["flags"] = REMOTE * reasons.remote + LOCAL_ORGANISATION * reasons.organisation_local
    lists = [
        (reasons.shared_themes, reasons.theme_ids),
        (reasons.shared_skills, reasons.skill_ids),
        (reasons.dismissed, reasons.placement_ids),
        (reasons.interested, reasons.placement_ids),
    ]
    blocks = [_ascending_ids(matrix.tocsr(), ids) for matrix, ids in lists]
    for column, block in enumerate(blocks):
        heads["counts"][:, column] = np.diff(block.indptr)
    if n == 0:
        return heads, np.empty(0, np.int32)
    # Side by side, each row's entries run through the four lists in turn, each ascending.
    joined = sp.hstack(blocks, format="csr")
    joined.sort_indices()
    all_ids = np.concatenate([np.sort(ids) for _, ids in lists]).astype(np.int32)
    return heads, all_ids[joined.indices]


def pack_reasons(reasons: Reasons) -> list[bytes]:
    """Each pair's reasons packed, as the column stores them."""
    heads, ids = pack_columns(reasons)
    counts = heads["counts"].sum(axis=1, dtype=np.int64)
    ends = np.cumsum(counts).tolist()
    flat = ids.astype("<i4").tobytes()
    return [
        head + flat[4 * (end - count) : 4 * end]
        for head, end, count in zip(
            [heads[i : i + 1].tobytes() for i in range(len(heads))],
            ends,
            counts.tolist(),
            strict=True,
        )
    ]


def pack_reason_list(reasons: list[Reason] | list[dict[str, Any]]) -> bytes:
    """One match's reasons (as ``Reasons.for_pair`` gives them) packed; ValueError if unknown."""
    contributions = [0] * len(COMPONENTS)
    evidence: dict[str, Any] = {}
    for reason in reasons:
        component = reason["component"]
        if component not in COMPONENTS:
            raise ValueError(f"unknown reason component {component!r}")
        contributions[COMPONENTS.index(component)] = int(
            _scaled(reason["contribution"], CONTRIBUTION_PLACES)
        )
        evidence.update(reason.get("evidence") or {})
    distance = evidence.get("distance_km")
    rating = evidence.get("rating")
    id_lists = [sorted(int(i) for i in evidence.get(key) or ()) for _, key in ID_LISTS]
    flags = REMOTE * bool(evidence.get("remote")) + LOCAL_ORGANISATION * bool(
        evidence.get("local_organisation")
    )
    head = _HEAD.pack(
        FORMAT_VERSION,
        *contributions,
        int(_scaled(evidence.get("similarity") or 0.0, SIMILARITY_PLACES)),
        NULL_I32 if distance is None else int(_scaled(distance, DISTANCE_PLACES)),
        int(evidence.get("days_to_start") or 0),
        int(evidence.get("reflections") or 0),
        NULL_I16 if rating is None else int(_scaled(rating, RATING_PLACES)),
        flags,
        *(len(ids) for ids in id_lists),
    )
    ids = [i for listed in id_lists for i in listed]
    return head + struct.pack(f"<{len(ids)}i", *ids)


def unpack_reasons(packed: bytes) -> list[Reason]:
    """The reasons a packed value holds: its non-zero components, in ``COMPONENTS`` order."""
    fields = _HEAD.unpack_from(packed)
    if fields[0] != FORMAT_VERSION:
        raise ValueError(f"packed reasons of unknown format {fields[0]}")
    n = len(COMPONENTS)
    contributions = fields[1 : 1 + n]
    similarity, distance, days, reflections, rating, flags, *counts = fields[1 + n :]
    ids = struct.unpack_from(f"<{sum(counts)}i", packed, _HEAD.size)
    lists: dict[str, list[int]] = {}
    start = 0
    for (_, key), count in zip(ID_LISTS, counts, strict=True):
        lists[key] = list(ids[start : start + count])
        start += count
    evidence: dict[str, dict[str, Any]] = {
        "themes": {"shared_theme_ids": lists["shared_theme_ids"]},
        "skills": {"shared_skill_ids": lists["shared_skill_ids"]},
        "text": {"similarity": similarity / 10**SIMILARITY_PLACES},
        "distance": {
            "distance_km": None if distance == NULL_I32 else distance / 10**DISTANCE_PLACES,
            "remote": bool(flags & REMOTE),
        },
        "start": {"days_to_start": days},
        "bridging": {"local_organisation": bool(flags & LOCAL_ORGANISATION)},
        "not_for_me": {"similar_to_dismissed_ids": lists["similar_to_dismissed_ids"]},
        "interests": {"similar_to_interest_ids": lists["similar_to_interest_ids"]},
        "host_rating": {
            "rating": None if rating == NULL_I16 else rating / 10**RATING_PLACES,
            "reflections": reflections,
        },
        "exposure": {},
    }
    return [
        Reason(
            component=name,
            contribution=value / 10**CONTRIBUTION_PLACES,
            evidence=evidence[name],
        )
        for name, value in zip(COMPONENTS, contributions, strict=True)
        if value != 0
    ]


class PackedReasons(TypeDecorator[list[Reason]]):
    """A match's reasons, packed in a binary column and read back as ``Reason`` dicts."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        return None if value is None else pack_reason_list(value)

    def process_result_value(self, value: Any, dialect: Any) -> list[Reason] | None:
        return None if value is None else unpack_reasons(bytes(value))
