"""End to end on PostgreSQL: load, score, write, publish; and one placement, stored.

Creates a scratch database, seeds it with ``seed-demo``'s code, measures, and drops it. Each
phase prints its wall time and its CPU time: this process's (every thread) and, when the
server runs on this machine, its PostgreSQL backend's (from /proc; parallel index builders
not counted). On a shared machine wall time follows the load; CPU time compares runs.
Run: .venv/bin/python -m bench.matching_end_to_end [--people N] [--placements M]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from flask_migrate import upgrade
from sqlalchemy import select, text, update

from matcher import create_app
from matcher.clock import london_today
from matcher.demo.seed import seed_demo
from matcher.engine import Engine
from matcher.events import PLACEMENT_CHANGED
from matcher.extensions import db
from matcher.models import Placement, PlacementStatus
from matcher.outbox import record_event
from matcher.stored_matches.incremental import placement_changed, recompute_people
from matcher.stored_matches.loading import engine_config, load_people, load_placements
from matcher.stored_matches.publishing import discard_rows, publish_run, start_run, validate_matches
from matcher.stored_matches.snapshot import current_snapshot, forget_snapshots
from matcher.stored_matches.storing import stage_rows
from tests.conftest import make_settings
from tests.services import fresh_postgres_database

# DESIGN.md: one new or edited placement scored against 100,000 people, matches stored.
BUDGET_MS = 1000


def _spread(seconds: list[float]) -> str:
    return (
        f"{min(seconds) * 1e3:.0f}-{max(seconds) * 1e3:.0f} ms "
        f"(median {np.median(seconds) * 1e3:.0f} ms)"
    )


def _placement_event(session, settings, placement_id: int, what: str):  # type: ignore[no-untyped-def]
    """Record the event for a change made in the session, commit, and time the update."""
    record_event(session, PLACEMENT_CHANGED, {"placement_id": placement_id})
    session.commit()
    start = time.perf_counter()
    result = placement_changed(session, settings, placement_id)
    session.commit()
    took = time.perf_counter() - start
    print(
        f"  placement {placement_id} {what}: {took * 1e3:.0f} ms ({result.eligible_people} "
        f"eligible; entered {result.entered} lists, kept {result.kept}, left {result.left}, "
        f"recomputed {result.recomputed}; {result.rows} rows inserted, {result.shifted} shifted)"
    )
    return took, result


def _backend_cpu() -> float | None:
    """CPU seconds of the session's PostgreSQL backend so far, if it runs on this machine."""
    pid = db.session.scalar(text("SELECT pg_backend_pid()"))
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(label: str, times: dict[str, float], run):  # type: ignore[no-untyped-def]
    backend = _backend_cpu()
    cpu = time.process_time()
    start = time.perf_counter()
    result = run()
    times[label] = time.perf_counter() - start
    cpu = time.process_time() - cpu
    after = _backend_cpu()
    server = "" if backend is None or after is None else f" + server {after - backend:6.2f}"
    print(f"{label:<42} {times[label]:8.2f} s   cpu: this process {cpu:6.2f}{server} s")
    return result


def main() -> None:
    """Seed a scratch database, then print each phase's time."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--placements", type=int, default=10_000)
    args = parser.parse_args()
    with fresh_postgres_database() as url, tempfile.TemporaryDirectory() as instance:
        settings = make_settings(Path(instance), DATABASE_URL=url)
        app = create_app(settings)
        with app.app_context():
            upgrade()
            run(settings, args.people, args.placements)
            db.session.remove()
            db.engine.dispose()


def run(settings, people: int, placements: int) -> None:  # type: ignore[no-untyped-def]
    """Every figure, on an app context with a migrated database."""
    times: dict[str, float] = {}
    session = db.session
    print(f"== {people:,} people x {placements:,} placements on PostgreSQL ==")
    _timed(
        "seed (seed-demo code, COPY)",
        times,
        lambda: seed_demo(session, people=people, placements=placements, seed=7),
    )
    session.commit()
    frames = _timed(
        "load people + placements (bulk SELECTs)",
        times,
        lambda: (load_people(session), load_placements(session)),
    )
    session.commit()
    engine = Engine(engine_config(settings, london_today()))
    _timed("fit", times, lambda: engine.fit(*frames))
    top = _timed("score top k for everyone", times, engine.top_placements_for_people)
    _timed("reasons for every match", times, lambda: top.reasons)
    run_id = start_run(session, len(frames[0]), 1).id
    session.commit()
    _timed(
        "write (COPY into the run's build table)", times, lambda: stage_rows(session, run_id, top)
    )
    session.commit()
    published = _timed(
        "publish (index, drop orphans, swap tables)", times, lambda: publish_run(session, run_id)
    )
    session.commit()
    discard_rows(session, run_id)
    _timed("validate foreign keys + analyze (readers on)", times, lambda: validate_matches(session))
    session.commit()
    total = sum(times[k] for k in times if not k.startswith("seed"))
    print(f"{'end to end (load .. publish)':<42} {total:8.2f} s   ({published:,} rows)")

    forget_snapshots()
    _timed(
        "warm the worker snapshot (load + fit)", times, lambda: current_snapshot(session, settings)
    )
    session.commit()
    drafts = list(
        session.scalars(
            select(Placement.id)
            .where(
                Placement.status == PlacementStatus.DRAFT, Placement.closing_date > london_today()
            )
            .limit(5)
        )
    )
    opened = list(
        session.scalars(
            select(Placement.id).where(Placement.status == PlacementStatus.OPEN).limit(5)
        )
    )
    figures = []
    for placement_id in drafts:
        # Publish a draft the way the service does: status and an outbox event, one commit.
        session.execute(
            update(Placement)
            .where(Placement.id == placement_id)
            .values(status=PlacementStatus.OPEN, published_at=db.func.now())
        )
        figures.append(_placement_event(session, settings, placement_id, "published")[0])
    if figures:
        print(
            f"one new placement vs {people:,} people, stored: {_spread(figures)} "
            f"(budget {BUDGET_MS} ms)"
        )
    edits = []
    for placement_id in opened[:2]:
        start = time.perf_counter()
        placement_changed(session, settings, placement_id)
        session.commit()
        edits.append(time.perf_counter() - start)
    print(f"re-score an open placement (no change): {[round(x * 1e3) for x in edits]} ms")
    edited = []
    for n, placement_id in enumerate(opened[2:5]):
        # An edit the way the service does it: new text and travel terms, an event, a commit.
        session.execute(
            update(Placement)
            .where(Placement.id == placement_id)
            .values(
                description=f"Edited {n}: housing data analysis with local delivery partners",
                remote_possible=True,
            )
        )
        edited.append(_placement_event(session, settings, placement_id, "edited"))
    if edited and figures:
        # The edit that enters the most lists is the case the budget is hardest on.
        took, widest = max(edited, key=lambda pair: pair[1].entered)
        print(
            f"one edited placement entering {widest.entered} lists vs {people:,} people, "
            f"stored: {took * 1e3:.0f} ms = {took / np.median(figures):.1f}x the new "
            f"placement's median, {took * 1e3 / BUDGET_MS:.2f} of the {BUDGET_MS} ms budget; "
            f"every edit: {_spread([t for t, _ in edited])}"
        )
    closed = []
    for placement_id in opened[2:4]:
        # Closing takes it out of every list that holds it; a full list needs a replacement.
        session.execute(
            update(Placement)
            .where(Placement.id == placement_id)
            .values(status=PlacementStatus.CLOSED)
        )
        closed.append(_placement_event(session, settings, placement_id, "closed")[0])
    if closed:
        print(f"one placement closed, stored: {_spread(closed)}")
    snapshot = current_snapshot(session, settings)
    print(f"snapshot after the edits: {snapshot.updates} updates, {snapshot.refits} refits")
    persons = []
    for person_id in frames[0].ids[:3]:
        start = time.perf_counter()
        recompute_people(session, settings, [int(person_id)])
        session.commit()
        persons.append(time.perf_counter() - start)
    print(f"recompute one unchanged person: {[round(x * 1e3) for x in persons]} ms")


if __name__ == "__main__":
    main()
