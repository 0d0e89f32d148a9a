"""Column-wise people and placements: numpy arrays plus id sets, built from plain records."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

KINDS: tuple[str, ...] = (
    "secondment",
    "placement",
    "partnership_project",
    "job_shadowing",
    "mentoring",
)
KIND_BIT: dict[str, int] = {kind: 1 << i for i, kind in enumerate(KINDS)}
# Organisation kinds that count as local practice for the bridging weight.
LOCAL_ORGANISATION_KINDS = frozenset({"council", "police_force", "regional_partnership"})
EPOCH = date(1970, 1, 1)
# Open-ended availability: far enough that any real date falls inside.
OPEN_START = -(2**30)
OPEN_END = 2**30


def day_number(value: date | None, default: int) -> int:
    """Days since 1970-01-01, or ``default`` for a missing date."""
    return default if value is None else (value - EPOCH).days


def _get(record: Mapping[str, Any] | Any, name: str, default: Any = None) -> Any:
    if type(record) is dict:  # the loaders' records: checked first, as Mapping's check is slow
        return record.get(name, default)
    if isinstance(record, Mapping):
        return record.get(name, default)
    return getattr(record, name, default)


def _coordinates(records: list[Any]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return _xy([_get(r, "easting") for r in records], [_get(r, "northing") for r in records])


def _xy(
    eastings: Sequence[Any], northings: Sequence[Any]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    easting = np.array([np.nan if v is None else float(v) for v in eastings], np.float64)
    northing = np.array([np.nan if v is None else float(v) for v in northings], np.float64)
    missing = np.isnan(easting) | np.isnan(northing)
    easting[missing] = np.nan
    northing[missing] = np.nan
    return easting.reshape(-1), northing.reshape(-1)


def _id_sets(records: list[Any], name: str) -> list[frozenset[int]]:
    return _sets([_get(r, name) for r in records])


def _sets(values: Sequence[Any]) -> list[frozenset[int]]:
    return [frozenset(map(int, v or ())) for v in values]


@dataclass(frozen=True, slots=True, eq=False)
class PeopleFrame:
    """Civil servants as columns; row i of every array is the same person."""

    ids: NDArray[np.int64]
    grade_rank: NDArray[np.int16]
    themes: list[frozenset[int]]
    skills: list[frozenset[int]]
    about: list[str]
    easting: NDArray[np.float64]
    northing: NDArray[np.float64]
    travel_limit_km: NDArray[np.float64]
    remote_ok: NDArray[np.bool_]
    available_from: NDArray[np.int64]
    available_until: NDArray[np.int64]
    wanted_kinds: NDArray[np.uint8]
    discoverable: NDArray[np.bool_]
    policy_profession: NDArray[np.bool_]
    dismissed: list[frozenset[int]]
    # Placements the person said they were interested in (and still is, up to an acceptance).
    interested: list[frozenset[int]]

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any] | Any]) -> PeopleFrame:
        """Build from mappings or objects with the profile's field names."""
        rows = list(records)
        columns = {name: [_get(r, name, default) for r in rows] for name, default in PEOPLE_FIELDS}
        for name in ("available_from", "available_until"):
            columns[name] = [None if v is None else day_number(v, 0) for v in columns[name]]
        return cls.from_columns(columns)

    @classmethod
    def from_columns(cls, columns: Mapping[str, Sequence[Any]]) -> PeopleFrame:
        """Build from one sequence per field of ``PEOPLE_FIELDS``, row i of each the same person,
        dates as day numbers (``day_number``; None: open); a bulk load need not make a record
        per person or a date object per date."""

        def flags(name: str) -> NDArray[np.bool_]:
            return np.array([bool(v) for v in columns[name]], bool).reshape(-1)

        easting, northing = _xy(columns["easting"], columns["northing"])
        return cls(
            ids=np.array([int(v) for v in columns["id"]], np.int64).reshape(-1),
            grade_rank=np.array([v or 0 for v in columns["grade_rank"]], np.int16).reshape(-1),
            themes=_sets(columns["themes"]),
            skills=_sets(columns["skills"]),
            about=[v or "" for v in columns["about"]],
            easting=easting,
            northing=northing,
            travel_limit_km=np.array(
                [50.0 if v is None else float(v) for v in columns["travel_limit_km"]], np.float64
            ).reshape(-1),
            remote_ok=flags("remote_ok"),
            available_from=np.array(
                [OPEN_START if v is None else v for v in columns["available_from"]], np.int64
            ).reshape(-1),
            available_until=np.array(
                [OPEN_END if v is None else v for v in columns["available_until"]], np.int64
            ).reshape(-1),
            wanted_kinds=np.array(
                [sum(KIND_BIT[str(k)] for k in set(v or ())) for v in columns["wanted_kinds"]],
                np.uint8,
            ).reshape(-1),
            discoverable=flags("discoverable"),
            policy_profession=flags("policy_profession"),
            dismissed=_sets(columns["dismissed"]),
            interested=_sets(columns["interested"]),
        )


# A person's fields, each with the value a record without it has.
PEOPLE_FIELDS: tuple[tuple[str, Any], ...] = (
    ("id", None),
    ("grade_rank", None),
    ("themes", None),
    ("skills", None),
    ("about", None),
    ("easting", None),
    ("northing", None),
    ("travel_limit_km", 50),
    ("remote_ok", True),
    ("available_from", None),
    ("available_until", None),
    ("wanted_kinds", None),
    ("discoverable", False),
    ("policy_profession", False),
    ("dismissed", None),
    ("interested", None),
)


@dataclass(frozen=True, slots=True, eq=False)
class PlacementFrame:
    """Placements as columns; row j of every array is the same placement."""

    ids: NDArray[np.int64]
    local: NDArray[np.bool_]
    is_open: NDArray[np.bool_]
    closing_date: NDArray[np.int64]
    grade_min_rank: NDArray[np.int16]
    grade_max_rank: NDArray[np.int16]
    kind_bit: NDArray[np.uint8]
    themes: list[frozenset[int]]
    skills: list[frozenset[int]]
    text: list[str]
    easting: NDArray[np.float64]
    northing: NDArray[np.float64]
    remote_possible: NDArray[np.bool_]
    start_date: NDArray[np.int64]
    end_date: NDArray[np.int64]
    # The host organisation's mean reflection rating by its secondees (NaN: none) and how many.
    host_rating: NDArray[np.float64]
    host_reflections: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any] | Any]) -> PlacementFrame:
        """Build from mappings or objects with the placement's field names."""
        rows = list(records)
        easting, northing = _coordinates(rows)
        start = np.array([day_number(_get(r, "start_date"), 0) for r in rows], np.int64)
        weeks = np.array([int(_get(r, "duration_weeks", 1)) for r in rows], np.int64)
        return cls(
            ids=np.array([int(_get(r, "id")) for r in rows], np.int64).reshape(-1),
            local=np.array(
                [str(_get(r, "organisation_kind")) in LOCAL_ORGANISATION_KINDS for r in rows], bool
            ).reshape(-1),
            is_open=np.array([str(_get(r, "status")) == "open" for r in rows], bool).reshape(-1),
            closing_date=np.array(
                [day_number(_get(r, "closing_date"), OPEN_END) for r in rows], np.int64
            ).reshape(-1),
            grade_min_rank=np.array([_get(r, "grade_min_rank") for r in rows], np.int16).reshape(
                -1
            ),
            grade_max_rank=np.array([_get(r, "grade_max_rank") for r in rows], np.int16).reshape(
                -1
            ),
            kind_bit=np.array([KIND_BIT[str(_get(r, "kind"))] for r in rows], np.uint8).reshape(-1),
            themes=_id_sets(rows, "themes"),
            skills=_id_sets(rows, "skills"),
            text=[
                " ".join(
                    _get(r, field) or "" for field in ("title", "summary", "description")
                ).strip()
                for r in rows
            ],
            easting=easting,
            northing=northing,
            remote_possible=np.array(
                [bool(_get(r, "remote_possible", False)) for r in rows], bool
            ).reshape(-1),
            start_date=start.reshape(-1),
            # The last day of the placement: start plus its whole weeks, minus one.
            end_date=(start + 7 * weeks - 1).reshape(-1),
            host_rating=np.array(
                [np.nan if (v := _get(r, "host_rating")) is None else float(v) for r in rows],
                np.float64,
            ).reshape(-1),
            host_reflections=np.array(
                [int(_get(r, "host_reflections") or 0) for r in rows], np.int64
            ).reshape(-1),
        )


Frame = TypeVar("Frame", PeopleFrame, PlacementFrame)


def _take(value: Any, index: NDArray[np.intp]) -> Any:
    if isinstance(value, np.ndarray):
        return value[index]
    return [value[i] for i in index]


def _join(old: Any, new: Any) -> Any:
    if isinstance(old, np.ndarray):
        return np.concatenate([old, new.astype(old.dtype)])
    return list(old) + list(new)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    return list(a) == list(b)


def _replace_rows(old: Frame, new: Frame, rows: NDArray[np.intp]) -> tuple[Frame, set[str]]:
    values: dict[str, Any] = {}
    changed: set[str] = set()
    value: Any
    for f in dataclasses.fields(old):
        before, after = getattr(old, f.name), getattr(new, f.name)
        if isinstance(before, np.ndarray):
            value = before.copy()
            value[rows] = after.astype(before.dtype)
        else:
            value = list(before)
            for k, row in enumerate(rows.tolist()):
                value[row] = after[k]
        if not _same(_take(before, rows), _take(value, rows)):
            changed.add(f.name)
        values[f.name] = value
    return type(old)(**values), changed


def splice(old: Frame, new: Frame, ids: Iterable[int]) -> tuple[Frame, set[str]]:
    """``old`` with rows ``ids`` replaced by ``new``'s (absent ones removed); changed fields.

    The result is ordered by id. The changed fields are ``{"ids"}`` when rows came or went.
    """
    wanted = {int(i) for i in ids}
    if not wanted:
        return old, set()
    changed_ids = np.array(sorted(wanted), np.int64)
    order = np.argsort(old.ids, kind="stable")
    at = np.minimum(np.searchsorted(old.ids, new.ids, sorter=order), max(len(old) - 1, 0))
    if (
        len(old)
        and len(new) == len(wanted)
        and {int(i) for i in new.ids} == wanted
        and np.array_equal(old.ids[order[at]], new.ids)
    ):
        # Every row is replaced in place: copy the columns and overwrite those rows.
        return _replace_rows(old, new, order[at])
    keep = np.flatnonzero(~np.isin(old.ids, changed_ids))
    values = {
        f.name: _join(_take(getattr(old, f.name), keep), getattr(new, f.name))
        for f in dataclasses.fields(old)
    }
    order = np.argsort(values["ids"], kind="stable")
    spliced = type(old)(**{name: _take(value, order) for name, value in values.items()})
    if len(spliced) != len(old) or not np.array_equal(spliced.ids, old.ids):
        return spliced, {"ids"}
    rows = np.flatnonzero(np.isin(old.ids, changed_ids))
    changed = {
        f.name
        for f in dataclasses.fields(old)
        if not _same(_take(getattr(old, f.name), rows), _take(getattr(spliced, f.name), rows))
    }
    return spliced, changed
