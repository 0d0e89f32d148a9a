"""Allocation rounds: deferred acceptance at NRMP size, against the `matching` library, end to end.

NRMP's main match is about 45,000 applicants and 6,400 programmes with rank lists of 10-15;
DESIGN.md's budget is under 5 s for a round of that size, loading and storing included.
Run: .venv/bin/python -m bench.allocation [--participants N] [--places M] [--no-library]
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from flask_migrate import upgrade
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from matcher import create_app
from matcher.allocation import Instance, allocate, draw_lottery
from matcher.clock import london_today
from matcher.demo.bulk import bulk_insert, insert_returning_ids, table_of
from matcher.demo.seed import seed_demo
from matcher.engine import ENGINE_VERSION
from matcher.extensions import db
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
    Scheme,
    UnacceptableMark,
)
from matcher.services import allocation_runs
from tests.conftest import make_settings
from tests.services import fresh_postgres_database, vacuum
from tests.unit.allocation.oracle import library_allocation

# DESIGN.md: allocation round, 45,000 participants x 6,400 places, end to end.
BUDGET_S = 5.0
# Sizes the library finishes at in a bench's time; the figures for it are at these.
LIBRARY_SIZES = ((2_000, 200), (10_000, 1_000))
RAISED_RECURSION_LIMIT = 100_000


def load_average() -> str:
    """The machine's 1-minute load average: on 2 shared cores it moves every figure here."""
    return f"load {os.getloadavg()[0]:.1f}"


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by run() and its result."""
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def nrmp_like(participants: int, places: int, seed: int = 15) -> Instance:
    """A round shaped like a residency match, at any size.

    Popularity is skewed as in real matches: a place's appeal is Zipf-like in its popularity
    order times lognormal noise, so a few places are on thousands of lists and many on a
    handful. Capacities are 1 to about 40 (lognormal), scaled to sum to 4% more than the
    cohort. Each participant lists 10-15 distinct places drawn by appeal. A place ranks those
    who listed it by a common merit plus its own noise, in 20 bands (ties, as the engine's
    scores give when an organisation accepts them), and finds 8% unacceptable.
    """
    rng = np.random.default_rng(seed)
    appeal = rng.lognormal(0.0, 0.5, places) / np.arange(1, places + 1) ** 0.7
    appeal /= appeal.sum()
    raw = rng.lognormal(1.5, 0.8, places)
    capacities = np.maximum(1, np.floor(raw * participants * 1.04 / raw.sum())).astype(int)
    capacities[rng.integers(0, places, participants + participants // 25 - capacities.sum())] += 1
    lengths = rng.integers(10, 16, participants)
    # More draws than the longest list, with replacement; the first distinct ones are the list.
    draws = rng.choice(places, size=(participants, 60), p=appeal)
    preferences = []
    for row, length in zip(draws.tolist(), lengths.tolist(), strict=True):
        listed = list(dict.fromkeys(row))[:length]
        preferences.append(listed)
    merit = rng.normal(0.0, 1.0, participants)
    place_ranks: list[dict[int, int]] = [{} for _ in range(places)]
    for participant, listed in enumerate(preferences):
        noise = rng.normal(0.0, 1.0, len(listed))
        keep = rng.random(len(listed)) >= 0.08
        score = merit[participant] + noise
        for place, band, kept in zip(listed, score.tolist(), keep.tolist(), strict=True):
            if kept:
                # Higher score is better; rank 0 is best; 20 bands over about -4 .. 4.
                place_ranks[place][participant] = int(np.clip(10 - band * 2.5, 0, 19))
    return Instance(
        preferences=preferences,
        capacities=capacities.tolist(),
        place_ranks=place_ranks,
        seed=seed,
    )


def describe(instance: Instance, seconds: float) -> str:
    entries = sum(len(choices) for choices in instance.preferences)
    return (
        f"{instance.participants:,} participants x {instance.places:,} places, "
        f"{sum(instance.capacities):,} seats, {entries:,} choices (built in {seconds:.1f} s)"
    )


def summary(instance: Instance, place_of: tuple[int | None, ...]) -> str:
    placed = [place for place in place_of if place is not None]
    first = sum(
        1
        for choices, place in zip(instance.preferences, place_of, strict=True)
        if place is not None and choices[0] == place
    )
    return (
        f"placed {len(placed):,}, first choice {first:,}, unplaced {len(place_of) - len(placed):,}"
    )


def against_library(participants: int, places: int) -> None:
    """allocate and the library on one instance, in this process: seconds, ratio, agreement."""
    built, instance = timed(lambda: nrmp_like(participants, places))
    print(f"== {describe(instance, built)} ==")
    # Best of five: at these sizes allocate takes milliseconds, and one run is mostly noise.
    ours, outcome = min((timed(lambda: allocate(instance)) for _ in range(5)), key=lambda t: t[0])
    lottery = draw_lottery(instance.seed, instance.lottery_keys)
    # The library deep-copies its players, recursing through each other's preference lists:
    # past a few thousand players that exceeds Python's default recursion limit.
    limit = sys.getrecursionlimit()
    try:
        theirs, place_of = timed(lambda: library_allocation(instance, lottery))
    except RecursionError:
        print(f"  matching library         RecursionError at the default limit of {limit:,}")
        sys.setrecursionlimit(RAISED_RECURSION_LIMIT)
        try:
            theirs, place_of = timed(lambda: library_allocation(instance, lottery))
        finally:
            sys.setrecursionlimit(limit)
        print(
            f"                           so run again with the limit at {RAISED_RECURSION_LIMIT:,}"
        )
    agree = "same allocation" if place_of == outcome.place_of else "DIFFERENT allocation"
    print(
        f"  allocate                 {ours:9.3f} s best of 5   "
        f"{summary(instance, outcome.place_of)}"
    )
    print(f"  matching library         {theirs:9.3f} s   {agree} ({load_average()})")
    print(f"  library / allocate       {theirs / ours:9.0f}x")


def seed_round(session: Session, instance: Instance, today: date) -> int:
    """Store ``instance`` as a round that is allocating, over seed-demo's people and placements.

    Participant i is the i-th civil servant by id and place j the j-th placement, inserted in
    that order, so the service loads them at the same positions.
    Even places take the organisation's own order (place_rankings), odd ones the engine's
    scores (matches, score = -rank so equal ranks tie); a pair the instance leaves out is an
    unacceptable mark with a reason. Everyone is free from today with no end, and every
    placement starts after its closing date and 90 days from now, so the start rule excludes
    no pair and the stored allocation can be checked against allocate in memory.
    """
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    people = list(
        session.scalars(
            select(CivilServantProfile.user_id)
            .order_by(CivilServantProfile.user_id)
            .limit(instance.participants)
        )
    )
    placements = list(
        session.scalars(select(Placement.id).order_by(Placement.id).limit(instance.places))
    )
    session.execute(update(CivilServantProfile).values(available_from=None, available_until=None))
    session.execute(
        update(Placement).values(
            start_date=func.greatest(Placement.start_date, today + timedelta(days=90))
        )
    )
    [scheme_id] = insert_returning_ids(
        session, table_of(Scheme), [{"name": "Bench cohort", "created_at": now}]
    )
    [round_id] = insert_returning_ids(
        session,
        table_of(AllocationRound),
        [
            {
                "scheme_id": scheme_id,
                "name": "NRMP-sized round",
                "state": RoundState.ALLOCATING,
                "max_choices": 15,
                "lottery_seed": instance.seed,
            }
        ],
    )
    own_order = [j % 2 == 0 for j in range(instance.places)]
    place_ids = insert_returning_ids(
        session,
        table_of(RoundPlace),
        [
            {
                "round_id": round_id,
                "placement_id": placements[j],
                "places": instance.capacities[j],
                "ranking_mode": RankingMode.OWN_ORDER if own_order[j] else RankingMode.ENGINE_SCORE,
            }
            for j in range(instance.places)
        ],
    )
    participant_ids = insert_returning_ids(
        session,
        table_of(RoundParticipant),
        [
            {"round_id": round_id, "user_id": user_id, "joined_at": now}
            for user_id in people[: instance.participants]
        ],
    )
    choices, rankings, scores, marks = [], [], [], []
    for i, listed in enumerate(instance.preferences):
        for k, j in enumerate(listed):
            choices.append(
                {
                    "participant_id": participant_ids[i],
                    "rank": k + 1,
                    "round_place_id": place_ids[j],
                    "round_id": round_id,
                }
            )
            rank = instance.place_ranks[j].get(i)
            if rank is None:
                marks.append(
                    {
                        "round_place_id": place_ids[j],
                        "participant_id": participant_ids[i],
                        "reason": "Needs vetting we cannot complete before the start date",
                        "round_id": round_id,
                        "marked_at": now,
                    }
                )
            elif own_order[j]:
                rankings.append(
                    {
                        "round_place_id": place_ids[j],
                        "participant_id": participant_ids[i],
                        "rank": rank + 1,
                        "round_id": round_id,
                    }
                )
            else:
                scores.append(
                    {
                        "person_id": people[i],
                        "placement_id": placements[j],
                        "score": -float(rank),
                        "rank": k + 1,
                        "reasons": [],
                        "engine_version": ENGINE_VERSION,
                        "computed_at": now,
                    }
                )
    bulk_insert(session, table_of(RoundPreference), choices)
    bulk_insert(session, table_of(PlaceRanking), rankings)
    bulk_insert(session, table_of(Match), scores)
    bulk_insert(session, table_of(UnacceptableMark), marks)
    print(
        f"  seeded: {len(choices):,} choices, {len(rankings):,} own ranks, "
        f"{len(scores):,} engine scores, {len(marks):,} unacceptable marks"
    )
    return round_id


@dataclass
class Spent:
    """One step's seconds: wall, this process's CPU, and its PostgreSQL backend's CPU."""

    wall: float = 0.0
    cpu: float = 0.0
    server: float = 0.0


@contextmanager
def phase_times(
    module: Any, names: tuple[str, ...], backend_pid: int | None = None
) -> Iterator[dict[str, Spent]]:
    """Seconds spent in each of ``module``'s functions ``names`` (the ones it has) while inside:
    wall, CPU, and the CPU of PostgreSQL backend ``backend_pid`` where it can be read."""
    spent: dict[str, Spent] = {}
    originals = {name: getattr(module, name) for name in names if hasattr(module, name)}

    def timing(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            start, cpu, server = time.perf_counter(), time.process_time(), server_cpu(backend_pid)
            try:
                return function(*args, **kwargs)
            finally:
                step = spent.setdefault(name, Spent())
                step.wall += time.perf_counter() - start
                step.cpu += time.process_time() - cpu
                server_end = server_cpu(backend_pid)
                if server is not None and server_end is not None:
                    step.server += server_end - server

        return timed_call

    for name, function in originals.items():
        setattr(module, name, timing(name, function))
    try:
        yield spent
    finally:
        for name, function in originals.items():
            setattr(module, name, function)


def server_cpu(backend_pid: int | None) -> float | None:
    """CPU seconds a PostgreSQL backend on this machine has used; None where it cannot be read.

    With the bench's own CPU seconds it tells a slow service from a busy machine: on two shared
    cores the wall time of a run can be several times the CPU it used.
    """
    try:
        fields = Path(f"/proc/{backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # utime and stime, the 14th and 15th fields, counting the pid and name before the split.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The service's steps, timed from outside; a name it no longer has is skipped. Steps may nest
# (allocate is called inside _result_rows), so they need not add up to the total. Each prints
# as wall/CPU/PostgreSQL CPU seconds.
SERVICE_STEPS = ("_load", "_instance", "allocate", "_result_rows", "_store", "summarise")


def end_to_end(instance: Instance, runs: int) -> None:
    """allocate_round on PostgreSQL, from loading the round to its stored results, committed."""
    with fresh_postgres_database() as url, tempfile.TemporaryDirectory() as folder:
        app = create_app(make_settings(Path(folder), DATABASE_URL=url))
        with app.app_context():
            upgrade()
            session = db.session
            today = london_today()
            print(f"== end to end on PostgreSQL: {instance.participants:,} participants ==")
            took, _ = timed(
                lambda: seed_demo(
                    session,
                    people=instance.participants,
                    placements=instance.places,
                    seed=7,
                    today=today,
                )
            )
            print(f"  seed-demo people and placements: {took:.1f} s")
            took, round_id = timed(lambda: seed_round(session, instance, today))
            session.commit()
            # A real round's tables fill over weeks and autovacuum analyses and vacuums them; a
            # bulk load minutes old has no statistics yet (the planner would guess) and no hint
            # bits (the first reads of its pages would write them), and the test server runs
            # no autovacuum.
            vacuum(db.engine, "VACUUM ANALYZE")
            print(f"  seed the round (COPY): {took:.1f} s")
            # The service keys each participant's lottery number by their id, in load order.
            participant_ids = session.scalars(
                select(RoundParticipant.id)
                .where(RoundParticipant.round_id == round_id)
                .order_by(RoundParticipant.id)
            ).all()
            expected = allocate(replace(instance, keys=tuple(participant_ids))).place_of
            totals = []
            for _ in range(runs):
                # Undo the last run, so the service allocates again rather than answer "done".
                session.execute(
                    delete(AllocationResult).where(AllocationResult.round_id == round_id)
                )
                session.execute(
                    update(AllocationRound)
                    .where(AllocationRound.id == round_id)
                    .values(allocated_at=None)
                )
                session.commit()
                # Its results' dead rows gone, as autovacuum would: a round allocates once.
                vacuum(db.engine, "VACUUM allocation_results")
                backend = session.scalar(select(func.pg_backend_pid()))
                server_start, client_start = server_cpu(backend), time.process_time()
                with phase_times(allocation_runs, SERVICE_STEPS, backend) as spent:
                    start = time.perf_counter()
                    summary = allocation_runs.allocate_round(session, round_id, by=None)
                    session.commit()
                    totals.append(time.perf_counter() - start)
                client = time.process_time() - client_start
                server_end = server_cpu(backend)
                server = (
                    f"{server_end - server_start:.2f}"
                    if server_start is not None and server_end is not None
                    else "unknown"
                )
                steps = ", ".join(
                    f"{name} {spent[name].wall:.2f}/{spent[name].cpu:.2f}/{spent[name].server:.2f}"
                    for name in SERVICE_STEPS
                    if name in spent
                )
                print(
                    f"  allocate_round + commit  {totals[-1]:9.3f} s   (CPU: bench {client:.2f} s, "
                    f"PostgreSQL {server} s; {load_average()}; steps wall/CPU/PostgreSQL {steps})"
                )
            print(
                f"  end to end               {min(totals):9.3f} s best of {runs} "
                f"(budget {BUDGET_S:.0f} s: {min(totals) / BUDGET_S:.2f} of it)   "
                f"placed {summary.placed:,}, first choice {summary.first_choice:,}, "
                f"unplaced {summary.unplaced:,}"
            )
            stored = dict(
                session.execute(
                    select(AllocationResult.participant_id, AllocationResult.round_place_id).where(
                        AllocationResult.round_id == round_id
                    )
                ).all()
            )
            participants = list(
                session.scalars(
                    select(RoundParticipant.id)
                    .where(RoundParticipant.round_id == round_id)
                    .order_by(RoundParticipant.id)
                )
            )
            places = list(
                session.scalars(
                    select(RoundPlace.id)
                    .where(RoundPlace.round_id == round_id)
                    .order_by(RoundPlace.id)
                )
            )
            position = {place_id: j for j, place_id in enumerate(places)}
            got = tuple(
                None if stored.get(pid) is None else position[stored[pid]] for pid in participants
            )
            print(
                "  stored allocation "
                + ("equals" if got == expected else "DIFFERS FROM")
                + " allocate on the same instance in memory"
            )
            session.remove()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=45_000)
    parser.add_argument("--places", type=int, default=6_400)
    parser.add_argument("--no-library", action="store_true", help="skip the library's runs")
    parser.add_argument("--no-database", action="store_true", help="skip the PostgreSQL run")
    parser.add_argument("--runs", type=int, default=3, help="end-to-end repetitions")
    args = parser.parse_args()

    built, instance = timed(lambda: nrmp_like(args.participants, args.places))
    print(f"== {describe(instance, built)} ==")
    seconds, cpu = [], []
    for _ in range(3):
        cpu_start = time.process_time()
        took, outcome = timed(lambda: allocate(instance))
        cpu.append(time.process_time() - cpu_start)
        seconds.append(took)
    # CPU seconds beside wall seconds: allocate uses one core, so where the two differ the
    # machine was busy with something else.
    print(
        f"  allocate alone           {min(seconds):9.3f} s best of 3 "
        f"({', '.join(f'{s:.3f}' for s in seconds)}; CPU {min(cpu):.3f} s; {load_average()})   "
        f"{summary(instance, outcome.place_of)}"
    )
    if not args.no_library:
        print(
            "  matching library         not run at this size (the issue: 394 s just to build "
            "the game); its ratios follow at the sizes it finishes"
        )
        for participants, places in LIBRARY_SIZES:
            against_library(participants, places)
    if not args.no_database:
        end_to_end(instance, args.runs)


if __name__ == "__main__":
    main()
