"""Run a round's allocation: load it with set-based SQL, allocate, store every result at once.

A round of 45,000 participants has over half a million choices, so nothing here makes an ORM
object per row: places, people, choices and rankings come back as numpy arrays (on PostgreSQL
each query's rows packed into one bytea), marks as the driver's plain tuples, and results go
back with one COPY on PostgreSQL (one executemany elsewhere). The caller commits.

Before the algorithm runs the service decides who each place may take. A pair the engine's start
rule forbids (``matcher.engine.filters.can_start``), or that the organisation marked
unacceptable, is left out of the place's order, and the reason is kept: the algorithm only says
"unacceptable", the stored facts say which (``matcher.allocation_reasons``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import reduce
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import LargeBinary, Select, func, insert, literal, select
from sqlalchemy.orm import Session

from matcher import audit
from matcher.allocation import VERDICTS, ChoiceVerdict, Instance, allocate, explain_all
from matcher.allocation_reasons import CANNOT_START, cannot_start_fact
from matcher.clock import london_today
from matcher.engine.filters import can_start
from matcher.engine.frames import OPEN_END, day_number
from matcher.models import (
    AllocationResult,
    AllocationRound,
    CivilServantProfile,
    Match,
    Placement,
    PlaceRanking,
    RankingMode,
    RoundParticipant,
    RoundPlace,
    RoundPreference,
    RoundState,
    UnacceptableMark,
    User,
    utcnow,
)
from matcher.services import access
from matcher.services.errors import InvalidState, NotFound
from matcher.sql_functions import day_number_of

EPOCH = date(1970, 1, 1)
# An organisation's order puts anyone it did not rank (or the engine did not score) last, tied.
UNRANKED = 2**30


@dataclass(frozen=True)
class AllocationSummary:
    """What a round's allocation came to: counts for the manager, and whether it ran now."""

    round_id: int
    participants: int
    placed: int
    first_choice: int
    top_three: int
    unplaced: int
    places_offered: int  # the sum of the places' capacities; each placed participant fills one
    already_allocated: bool


def _driver_rows(session: Session, statement: Select[Any]) -> list[tuple[Any, ...]]:
    """The plain tuples the database driver returns for ``statement``.

    Half a million choices made into SQLAlchemy rows, and those into numpy arrays, took longer
    than allocating the round; the driver's own tuples go into an array at once. Only for
    columns the driver returns as they are stored (numbers, text), not dates on SQLite.
    """
    compiled = statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled))
        return list(cursor.fetchall())
    finally:
        cursor.close()


# The function that gives a column's binary form in PostgreSQL, by the column's numpy code.
_SEND = {"i4": "int4send", "i8": "int8send", "f8": "float8send"}


def _columns(session: Session, statement: Select[Any], types: Sequence[str]) -> list[NDArray[Any]]:
    """The columns of ``statement``'s rows, in no particular order, as arrays of ``types``
    (numpy codes of the columns' types as stored: "i4" for integer, "f8" for double precision).

    Half a million choices made into Python tuples, and those into numpy arrays, took longer
    than allocating the round. PostgreSQL packs every row's binary form into one bytea, which
    is read straight into arrays; other databases give the driver's own tuples. Only for
    columns that are never NULL.
    """
    if session.get_bind().dialect.name != "postgresql":
        rows = _driver_rows(session, statement)
        return [np.array([row[n] for row in rows], dtype=kind) for n, kind in enumerate(types)]
    table = statement.subquery()
    packed = reduce(
        lambda packed, column: packed.op("||")(column),
        [
            getattr(func, _SEND[kind])(column, type_=LargeBinary)
            for column, kind in zip(table.c, types, strict=True)
        ],
    )
    data, count = session.execute(
        select(func.string_agg(packed, literal(b"", LargeBinary)), func.count()).select_from(table)
    ).one()
    layout = np.dtype([(f"column{n}", f">{kind}") for n, kind in enumerate(types)])
    values = np.frombuffer(data or b"", layout)
    if len(values) != count:
        # string_agg leaves out a row with a NULL: the counts would differ.
        raise ValueError(f"a column of {statement} is NULL")
    return [values[f"column{n}"].astype(kind) for n, kind in enumerate(types)]


@dataclass(frozen=True)
class _Loaded:
    """A round as the algorithm needs it, by position: participant i, place j."""

    participant_ids: NDArray[np.int64]
    place_ids: NDArray[np.int64]
    capacities: list[int]
    # Every usable choice, in participant then rank order.
    choice_participant: NDArray[np.int64]
    choice_place: NDArray[np.int64]
    # Each choice's rank in the place's order (UNRANKED if none); -1 where it is excluded.
    place_rank: NDArray[np.int64]
    # The organisation's reason for each (i, j) it marked unacceptable; any other excluded
    # choice failed the start rule, told from these day numbers.
    marked: dict[tuple[int, int], str]
    free_from: NDArray[np.int64]
    free_until: NDArray[np.int64]
    place_start: NDArray[np.int64]

    def start_window(self, i: int, j: int) -> tuple[int, int, int]:
        """The day numbers the start rule compares for choice (i, j)."""
        return int(self.place_start[j]), int(self.free_from[i]), int(self.free_until[i])

    def why_excluded(self, i: int, j: int) -> dict[str, Any]:
        """The stored fact of why choice (i, j) was left out of the place's order."""
        reason = self.marked.get((i, j))
        if reason is not None:
            return {"verdict": ChoiceVerdict.UNACCEPTABLE.value, "reason": reason}
        until = int(self.free_until[i])
        fact = cannot_start_fact(
            _date(int(self.place_start[j])),
            _date(int(self.free_from[i])),
            None if until >= OPEN_END else _date(until),
        )
        return {"verdict": CANNOT_START, "cannot_start": fact}


def _positions(ids: NDArray[np.int64], sorted_ids: NDArray[np.int64]) -> NDArray[np.int64]:
    """Positions of ``ids`` in ``sorted_ids``; -1 for ids not there."""
    if len(sorted_ids) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    at = np.searchsorted(sorted_ids, ids)
    at = np.minimum(at, len(sorted_ids) - 1)
    return np.where(sorted_ids[at] == ids, at, -1).astype(np.int64)


def _dense_ranks(groups: NDArray[np.int64], scores: NDArray[np.float64]) -> NDArray[np.int64]:
    """1 for each group's highest score, 2 for the next distinct score...; equal scores tie."""
    if len(groups) == 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((-scores, groups))
    g, s = groups[order], scores[order]
    new_group = np.r_[True, g[1:] != g[:-1]]
    step = (new_group | np.r_[True, s[1:] != s[:-1]]).astype(np.int64)
    running = np.cumsum(step)
    group_start = np.maximum.accumulate(np.where(new_group, running, 0))
    ranks = np.empty(len(groups), dtype=np.int64)
    ranks[order] = running - group_start + 1
    return ranks


def _load(session: Session, round_id: int, today: date) -> _Loaded:
    place_ids, capacities, place_start = _columns(
        session,
        select(
            RoundPlace.id,
            RoundPlace.places,
            func.coalesce(day_number_of(Placement.start_date), OPEN_END),
        )
        .join(Placement, Placement.id == RoundPlace.placement_id)
        .where(RoundPlace.round_id == round_id),
        ("i4", "i4", "i4"),
    )
    by_id = np.argsort(place_ids)
    place_ids, capacities = place_ids[by_id].astype(np.int64), capacities[by_id].tolist()
    place_start = place_start[by_id].astype(np.int64)

    today_number = day_number(today, 0)
    participant_ids, free_from, free_until = _columns(
        session,
        select(
            RoundParticipant.id,
            func.coalesce(day_number_of(CivilServantProfile.available_from), today_number),
            func.coalesce(day_number_of(CivilServantProfile.available_until), OPEN_END),
        )
        .outerjoin(CivilServantProfile, CivilServantProfile.user_id == RoundParticipant.user_id)
        .where(
            RoundParticipant.round_id == round_id,
            RoundParticipant.withdrawn_at.is_(None),
            RoundParticipant.user_id.is_not(None),
        ),
        ("i4", "i4", "i4"),
    )
    by_id = np.argsort(participant_ids)
    participant_ids = participant_ids[by_id].astype(np.int64)
    free_from = np.maximum(free_from[by_id].astype(np.int64), today_number)
    free_until = free_until[by_id].astype(np.int64)

    chooser, rank, chosen = _columns(
        session,
        select(
            RoundPreference.participant_id, RoundPreference.rank, RoundPreference.round_place_id
        ).where(RoundPreference.round_id == round_id),
        ("i4", "i4", "i4"),
    )
    # Each participant's choices in their order.
    by_rank = np.lexsort((rank, chooser))
    chooser, chosen = chooser[by_rank], chosen[by_rank]
    i = _positions(chooser, participant_ids)
    j = _positions(chosen, place_ids)
    usable = (i >= 0) & (j >= 0)  # withdrawn participants' choices drop out here
    i, j = i[usable], j[usable]
    place_rank = np.full(len(i), UNRANKED, dtype=np.int64)
    pair_key = i * max(len(place_ids), 1) + j
    order = np.argsort(pair_key)

    def choice_positions(
        participant: NDArray[np.int64], place: NDArray[np.int64]
    ) -> NDArray[np.int64]:
        """Positions in the choice arrays of (participant id, place id) pairs; -1 if none."""
        pi = _positions(participant, participant_ids)
        pj = _positions(place, place_ids)
        keys = pi * max(len(place_ids), 1) + pj
        found = _positions(keys, pair_key[order])
        return np.where((pi >= 0) & (pj >= 0) & (found >= 0), order[found], -1)

    scorer, scored, scores = _columns(
        session,
        select(RoundPreference.participant_id, RoundPreference.round_place_id, Match.score)
        .join(RoundPlace, RoundPlace.id == RoundPreference.round_place_id)
        .join(RoundParticipant, RoundParticipant.id == RoundPreference.participant_id)
        .join(
            Match,
            (Match.person_id == RoundParticipant.user_id)
            & (Match.placement_id == RoundPlace.placement_id),
        )
        .where(
            RoundPreference.round_id == round_id,
            RoundPlace.ranking_mode == RankingMode.ENGINE_SCORE,
        ),
        ("i4", "i4", "f8"),
    )
    at = choice_positions(scorer, scored)
    keep = at >= 0
    place_rank[at[keep]] = _dense_ranks(j[at[keep]], scores[keep])

    ranker, ranked, ranks = _columns(
        session,
        select(PlaceRanking.participant_id, PlaceRanking.round_place_id, PlaceRanking.rank)
        .join(RoundPlace, RoundPlace.id == PlaceRanking.round_place_id)
        .where(
            PlaceRanking.round_id == round_id,
            RoundPlace.ranking_mode == RankingMode.OWN_ORDER,
        ),
        ("i4", "i4", "i4"),
    )
    at = choice_positions(ranker, ranked)
    keep = at >= 0
    place_rank[at[keep]] = ranks[keep]

    # The engine's start rule, over every choice at once.
    place_rank[~can_start(free_from[i], free_until[i], place_start[j])] = -1

    marks = _driver_rows(
        session,
        select(
            UnacceptableMark.participant_id,
            UnacceptableMark.round_place_id,
            UnacceptableMark.reason,
        ).where(UnacceptableMark.round_id == round_id),
    )
    marked: dict[tuple[int, int], str] = {}
    if marks:
        at = choice_positions(
            np.array([row[0] for row in marks], dtype=np.int64),
            np.array([row[1] for row in marks], dtype=np.int64),
        )
        for k, (_, _, reason) in zip(at.tolist(), marks, strict=True):
            # A choice the start rule already ruled out says so, not the organisation's mark.
            if k >= 0 and place_rank[k] >= 0:
                marked[(int(i[k]), int(j[k]))] = reason
                place_rank[k] = -1

    return _Loaded(
        participant_ids=participant_ids,
        place_ids=place_ids,
        capacities=capacities,
        choice_participant=i,
        choice_place=j,
        place_rank=place_rank,
        marked=marked,
        free_from=free_from,
        free_until=free_until,
        place_start=place_start,
    )


def _date(day: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + day)


def _instance(loaded: _Loaded, seed: int) -> Instance:
    i, j, rank = loaded.choice_participant, loaded.choice_place, loaded.place_rank
    participants = len(loaded.participant_ids)
    # Choices arrive sorted by participant, then rank: split them into one list each.
    bounds = np.searchsorted(i, np.arange(participants + 1))
    places_chosen = j.tolist()
    preferences = [places_chosen[a:b] for a, b in pairwise(bounds.tolist())]
    acceptable = rank >= 0
    by_place = np.argsort(j[acceptable], kind="stable")
    pj = j[acceptable][by_place]
    pi = i[acceptable][by_place].tolist()
    pr = rank[acceptable][by_place].tolist()
    place_bounds = np.searchsorted(pj, np.arange(len(loaded.place_ids) + 1)).tolist()
    place_ranks = [dict(zip(pi[a:b], pr[a:b], strict=True)) for a, b in pairwise(place_bounds)]
    return Instance(
        preferences=preferences,
        capacities=loaded.capacities,
        place_ranks=place_ranks,
        seed=seed,
        keys=loaded.participant_ids.tolist(),
    )


def _result_rows(
    loaded: _Loaded, instance: Instance, round_id: int
) -> list[tuple[int, int, int | None, int | None, int, str]]:
    outcome = allocate(instance)
    explained = explain_all(instance, outcome)
    # Each choice's JSON, written once for each place and plain verdict rather than for each of
    # up to half a million choices (json.dumps for each cost a second).
    kinds = len(VERDICTS)
    unique, inverse = np.unique(explained.place * kinds + explained.verdict, return_inverse=True)
    texts = np.array(
        [
            f'{{"round_place_id":{place_id},"verdict":"{VERDICTS[code].value}"}}'
            for place_id, code in zip(
                loaded.place_ids[unique // kinds].tolist(), (unique % kinds).tolist(), strict=True
            )
        ],
        dtype=object,
    )
    choices: list[str] = texts[inverse.reshape(-1)].tolist()
    # An excluded choice says why, in facts with text in them: json.dumps, once for each reason
    # or each set of dates.
    why: dict[str | tuple[int, int, int], str] = {}
    unacceptable = VERDICTS.index(ChoiceVerdict.UNACCEPTABLE)
    for k in np.flatnonzero(explained.verdict == unacceptable).tolist():
        i, j = int(explained.participant[k]), int(explained.place[k])
        reason = loaded.marked.get((i, j))
        key = reason if reason is not None else loaded.start_window(i, j)
        if key not in why:
            why[key] = json.dumps(loaded.why_excluded(i, j), separators=(",", ":"))[1:]
        choices[k] = f'{{"round_place_id":{int(loaded.place_ids[j])},{why[key]}'
    bounds = np.searchsorted(explained.participant, np.arange(instance.participants + 1))
    place_ids = loaded.place_ids.tolist()
    rows = []
    for participant_id, got, lottery, start, end in zip(
        loaded.participant_ids.tolist(),
        outcome.place_of,
        outcome.lottery,
        bounds[:-1].tolist(),
        bounds[1:].tolist(),
        strict=True,
    ):
        rows.append(
            (
                participant_id,
                round_id,
                None if got is None else place_ids[got],
                None if got is None else end - start,
                lottery,
                '{"choices":[' + ",".join(choices[start:end]) + "]}",
            )
        )
    return rows


COLUMNS = (
    "participant_id",
    "round_id",
    "round_place_id",
    "choice_number",
    "lottery_number",
    "explanation",
)


COPY_NULL = "\\N"
BACKSLASH = "\\"


def _copy_lines(rows: list[tuple[Any, ...]], stamp: str) -> list[str]:
    """Result rows in COPY's text format, formatted here at once: psycopg adapting each value
    of 45,000 rows one by one took seconds."""
    lines = []
    for participant_id, round_id, place_id, choice, lottery, explanation in rows:
        # JSON text holds no tab or line break (json.dumps escapes them), only backslashes,
        # which COPY's text format reads as escapes of its own.
        lines.append(
            f"{participant_id}\t{round_id}\t{COPY_NULL if place_id is None else place_id}\t"
            f"{COPY_NULL if choice is None else choice}\t{lottery}\t"
            f"{explanation.replace(BACKSLASH, BACKSLASH * 2)}\t{stamp}\n"
        )
    return lines


def _store(session: Session, rows: list[tuple[Any, ...]]) -> None:
    allocated_at = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        names = ", ".join([*COLUMNS, "allocated_at"])
        with cursor.copy(f"COPY allocation_results ({names}) FROM STDIN") as copy:
            copy.write("".join(_copy_lines(rows, allocated_at.isoformat())).encode())
        return
    if rows:
        session.execute(
            insert(AllocationResult),
            [
                {
                    **dict(zip(COLUMNS, row, strict=True)),
                    "explanation": json.loads(row[-1]),
                    "allocated_at": allocated_at,
                }
                for row in rows
            ],
        )


def summarise(session: Session, round_id: int, *, already_allocated: bool) -> AllocationSummary:
    """The counts of a round's stored results."""
    placed, first, top_three, total = session.execute(
        select(
            func.count(AllocationResult.round_place_id),
            func.count().filter(AllocationResult.choice_number == 1),
            func.count().filter(AllocationResult.choice_number <= 3),
            func.count(),
        ).where(AllocationResult.round_id == round_id)
    ).one()
    offered = session.scalar(
        select(func.coalesce(func.sum(RoundPlace.places), 0)).where(RoundPlace.round_id == round_id)
    )
    return AllocationSummary(
        round_id=round_id,
        participants=total,
        placed=placed,
        first_choice=first,
        top_three=top_three,
        unplaced=total - placed,
        places_offered=int(offered or 0),
        already_allocated=already_allocated,
    )


def _summary_of(
    rows: list[tuple[int, int, int | None, int | None, int, str]], round_id: int, offered: int
) -> AllocationSummary:
    """What summarise would count in ``rows``, just stored: counted here, not read back."""
    choice_numbers = [row[3] for row in rows]
    placed = sum(1 for number in choice_numbers if number is not None)
    return AllocationSummary(
        round_id=round_id,
        participants=len(rows),
        placed=placed,
        first_choice=choice_numbers.count(1),
        top_three=sum(1 for number in choice_numbers if number is not None and number <= 3),
        unplaced=len(rows) - placed,
        places_offered=offered,
        already_allocated=False,
    )


def allocate_round(session: Session, round_id: int, *, by: User | None) -> AllocationSummary:
    """Allocate a round that is allocating and store its results; the caller commits.

    ``by`` is the manager who asked, or None for the allocation job. A round already allocated
    is left as it is (a redelivered job, a second click), and its summary returned.
    """
    allocation_round = session.get(
        AllocationRound, round_id, with_for_update=True, populate_existing=True
    )
    if allocation_round is None:
        raise NotFound(f"round {round_id} does not exist")
    if by is not None:
        access.require_scheme_manager(session, by, allocation_round.scheme_id)
    if allocation_round.allocated_at is not None:
        return summarise(session, round_id, already_allocated=True)
    if allocation_round.state != RoundState.ALLOCATING:
        raise InvalidState(f"round {round_id} is {allocation_round.state}, not allocating")
    loaded = _load(session, round_id, london_today())
    instance = _instance(loaded, allocation_round.lottery_seed)
    rows = _result_rows(loaded, instance, round_id)
    _store(session, rows)
    allocation_round.allocated_at = utcnow()
    session.flush()
    summary = _summary_of(rows, round_id, sum(loaded.capacities))
    audit.record(
        session,
        by.id if by else None,
        "round.allocated",
        "allocation_round",
        round_id,
        {"participants": summary.participants, "placed": summary.placed},
    )
    return summary
