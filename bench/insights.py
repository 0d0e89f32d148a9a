"""The insights page on PostgreSQL at scale: its response time, against the start page's.

Seeds a scratch database (100,000 people x 10,000 placements by default, as the demo does),
adds 200,000 interests walked along the workflow over the last two years with every step's
transition, and people's accepted offers; times the beat job's count of every table; then
times GET /insights (public, suppressed, from that count), /api/v1/insights, /admin/insights
(raw, from the same count) and, as the baseline in the same run, GET / (the start page,
two counts) through the app in this process. Each page's first GET is reported apart, wall and
CPU: after a count it draws the page's charts, which are kept until the next count. Budget
(issue #16): /insights under 300 ms at p95.
Run: .venv/bin/python -m bench.insights [--people N] [--placements M] [--interests K]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from flask_migrate import upgrade
from sqlalchemy import select, text

from matcher import create_app
from matcher.demo.bulk import bulk_insert, insert_returning_ids, table_of
from matcher.demo.seed import DEMO_PASSWORD, seed_demo
from matcher.extensions import db
from matcher.models import (
    Interest,
    InterestStatus,
    InterestTransition,
    Placement,
    PlacementStatus,
    Role,
    User,
)
from matcher.services.insights import refresh_snapshot
from tests.conftest import make_settings
from tests.services import fresh_postgres_database
from tests.web import sign_in

BUDGET_MS = 300.0
REQUESTS = 60
WARM_UP = 3
# The administrators' page reads the same count as the public one: a few requests will do.
ADMIN_REQUESTS = 5
# Where each interest's walk stops, and how often (the rest decline, withdraw or are rejected).
STOPS = (
    (InterestStatus.INTERESTED, 0.45),
    (InterestStatus.SHORTLISTED, 0.15),
    (InterestStatus.OFFERED, 0.05),
    (InterestStatus.ACCEPTED, 0.10),
    (InterestStatus.WITHDRAWN, 0.12),
    (InterestStatus.REJECTED, 0.10),
    (InterestStatus.DECLINED, 0.03),
)
WALKS = {
    InterestStatus.INTERESTED: [InterestStatus.INTERESTED],
    InterestStatus.SHORTLISTED: [InterestStatus.INTERESTED, InterestStatus.SHORTLISTED],
    InterestStatus.OFFERED: [
        InterestStatus.INTERESTED,
        InterestStatus.SHORTLISTED,
        InterestStatus.OFFERED,
    ],
    InterestStatus.ACCEPTED: [
        InterestStatus.INTERESTED,
        InterestStatus.SHORTLISTED,
        InterestStatus.OFFERED,
        InterestStatus.ACCEPTED,
    ],
    InterestStatus.WITHDRAWN: [InterestStatus.INTERESTED, InterestStatus.WITHDRAWN],
    InterestStatus.REJECTED: [InterestStatus.INTERESTED, InterestStatus.REJECTED],
    InterestStatus.DECLINED: [
        InterestStatus.INTERESTED,
        InterestStatus.SHORTLISTED,
        InterestStatus.OFFERED,
        InterestStatus.DECLINED,
    ],
}


def _interests(count: int, seed: int) -> None:
    """``count`` interests of random people in random posted placements, with transitions."""
    rng = np.random.default_rng(seed)
    people = np.array(
        db.session.scalars(select(User.id).where(User.role == Role.CIVIL_SERVANT)).all()
    )
    placements = np.array(
        db.session.scalars(
            select(Placement.id).where(Placement.status != PlacementStatus.DRAFT)
        ).all()
    )
    pairs = np.unique(
        np.stack(
            [rng.choice(people, int(count * 1.1)), rng.choice(placements, int(count * 1.1))],
            axis=1,
        ),
        axis=0,
    )
    pairs = pairs[rng.permutation(len(pairs))[:count]]
    stops = rng.choice(
        len(STOPS), size=len(pairs), p=np.array([p for _, p in STOPS]) / sum(p for _, p in STOPS)
    )
    now = datetime.now(UTC)
    started = now - timedelta(days=730) + timedelta(days=1) * rng.uniform(0, 700, len(pairs))
    rows = [
        {
            "person_id": int(person),
            "placement_id": int(placement),
            "status": STOPS[stop][0],
            "created_at": at,
            "updated_at": at,
        }
        for (person, placement), stop, at in zip(pairs, stops, started, strict=True)
    ]
    ids = insert_returning_ids(db.session, table_of(Interest), rows)
    transitions = []
    for interest_id, row, at in zip(ids, rows, started, strict=True):
        step_at = at
        before = None
        for status in WALKS[row["status"]]:
            transitions.append(
                {
                    "interest_id": interest_id,
                    "from_status": before,
                    "to_status": status,
                    "actor_id": row["person_id"],
                    "at": step_at,
                }
            )
            before = status
            step_at = step_at + timedelta(days=float(rng.exponential(6.0)))
    bulk_insert(db.session, table_of(InterestTransition), transitions)


def _time(client, path: str, requests: int = REQUESTS) -> tuple[float, ...]:
    """p50 and p95 wall and p50 CPU of ``requests`` GETs of ``path``, after the first GET's wall
    and CPU (the first after a count draws the page's charts, which are then kept), in ms."""
    took: list[tuple[float, float]] = []
    for _ in range(WARM_UP + requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        took.append(
            ((time.perf_counter() - started) * 1000, (time.process_time() - started_cpu) * 1000)
        )
        assert response.status_code == 200, path
    wall = [w for w, _ in took[WARM_UP:]]
    cpu = [c for _, c in took[WARM_UP:]]
    return (
        float(np.percentile(wall, 50)),
        float(np.percentile(wall, 95)),
        float(np.percentile(cpu, 50)),
        *took[0],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--placements", type=int, default=10_000)
    parser.add_argument("--interests", type=int, default=200_000)
    args = parser.parse_args()
    with fresh_postgres_database() as url, tempfile.TemporaryDirectory() as folder:
        app = create_app(make_settings(Path(folder), DATABASE_URL=url))
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            seed_demo(db.session, people=args.people, placements=args.placements, seed=7)
            _interests(args.interests, seed=7)
            db.session.commit()
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            print(f"seed: {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            refresh_snapshot(db.session)
            db.session.commit()
            print(f"count every table (beat's refresh): {time.perf_counter() - started:.2f} s")
            db.session.remove()
        client = app.test_client()
        assert sign_in(client, "admin@matcher.localhost", DEMO_PASSWORD).status_code == 302
        print(
            f"{args.people:,} people, {args.placements:,} placements, {args.interests:,} interests"
        )
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        headings = ("p50 ms", "p95 ms", "CPU p50", "first ms", "first CPU")
        print(f"{'GET':<22}", *(f"{h:>9}" for h in headings))
        results = {}
        for path in ("/", "/insights", "/api/v1/insights", "/admin/insights"):
            many = ADMIN_REQUESTS if path.startswith("/admin") else REQUESTS
            results[path] = _time(client, path, many)
            print(f"{path:<22}", *(f"{figure:9.1f}" for figure in results[path]))
        p95 = results["/insights"][1]
        verdict = "within" if p95 < BUDGET_MS else "OVER"
        print(f"/insights p95 {p95:.0f} ms: {verdict} the {BUDGET_MS:.0f} ms budget")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
