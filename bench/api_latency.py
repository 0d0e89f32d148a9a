"""GET me/matches through the API under gunicorn: latency and throughput at rising load.

Seeds a scratch PostgreSQL database (100,000 people x 10,000 placements by default), runs a
full rebuild so everyone has matches, gives a few hundred people tokens, then serves the app
with gunicorn and offers requests at fixed rates (open loop: each request has a scheduled
start, and latency counts from it, so a slow server cannot hide its queue by slowing the
client). The same stages against /healthz, on the same server in the same run, are the
baseline: the ratio shows what the endpoint itself costs.
Run: .venv/bin/python -m bench.api_latency [--people N] [--placements M] [--rates 50,100,200]
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from matcher import create_app
from matcher.demo.seed import seed_demo
from matcher.extensions import db
from matcher.models import Match
from matcher.services.api_tokens import create_token
from matcher.stored_matches.rebuild import rebuild_sync
from tests.conftest import make_settings
from tests.services import fresh_postgres_database
from tests.waiting import unused_port, wait_until

TOKENS = 300
CLIENT_THREADS = 16


def _prepare(url: str, instance: Path, people: int, placements: int) -> list[str]:
    """Seed, rebuild matches, and return tokens of people who have a full list."""
    settings = make_settings(instance, DATABASE_URL=url)
    app = create_app(settings)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        seed_demo(db.session, people=people, placements=placements, seed=7)
        db.session.commit()
        print(f"seed: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        published = rebuild_sync(db.session, settings)
        db.session.commit()
        print(f"rebuild: {time.perf_counter() - started:.1f} s ({published.rows:,} matches)")
        people_with_matches = db.session.scalars(
            select(Match.person_id)
            .group_by(Match.person_id)
            .having(func.count() >= 10)
            .order_by(func.random())
            .limit(TOKENS)
        ).all()
        secrets = [create_token(db.session, pid, "bench")[1] for pid in people_with_matches]
        db.session.commit()
        # What autovacuum does soon after a bulk load; without statistics on the fresh
        # placements table the planner sorts every open placement for each request.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return secrets


def _serve(url: str, instance: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MATCHER_ENV": "test",
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-signing",
        "DATABASE_URL": url,
        "INSTANCE_DIR": str(instance),
        "LOG_LEVEL": "warning",
    }
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
        f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, start_new_session=True)

    def answering() -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False

    wait_until(answering, timeout=60, what="gunicorn answering /healthz")
    return server


def _stage(port: int, path: str, tokens: list[str], rate: float, seconds: float) -> dict:
    """Offer ``rate`` requests a second for ``seconds``; latencies from each scheduled start."""
    total = int(rate * seconds)
    jobs: queue.Queue[int | None] = queue.Queue()
    latencies = np.zeros(total)
    failures = [0]
    start = time.perf_counter() + 0.2

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while (index := jobs.get()) is not None:
            scheduled = start + index / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            headers = {"Authorization": f"Bearer {tokens[index % len(tokens)]}"}
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failures[0] += 1
            except OSError:
                failures[0] += 1
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            latencies[index] = time.perf_counter() - scheduled

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    for index in range(total):
        jobs.put(index)
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    return {
        "p50": float(np.percentile(latencies, 50)) * 1e3,
        "p99": float(np.percentile(latencies, 99)) * 1e3,
        "rps": total / elapsed,
        "failures": failures[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--placements", type=int, default=10_000)
    parser.add_argument("--rates", default="25,50,100,200,400")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]
    with fresh_postgres_database() as url, tempfile.TemporaryDirectory() as scratch:
        instance = Path(scratch)
        tokens = _prepare(url, instance, args.people, args.placements)
        port = unused_port()
        server = _serve(url, instance, port, args.workers)
        try:
            # One pass each to warm connections, imports and PostgreSQL's buffers.
            _stage(port, "/api/v1/me/matches", tokens, 50, 2)
            _stage(port, "/healthz", tokens, 50, 1)
            print(
                f"== GET /api/v1/me/matches vs GET /healthz, gunicorn {args.workers} workers, "
                f"{args.people:,} people x {args.placements:,} placements, "
                f"{args.seconds:.0f} s a stage =="
            )
            print(
                f"{'offered/s':>9} | {'matches p50':>11} {'p99':>8} {'got/s':>7} {'fail':>4}"
                f" | {'healthz p50':>11} {'p99':>8} | {'p50 ratio':>9} {'p99 ratio':>9}"
            )
            for rate in rates:
                matches = _stage(port, "/api/v1/me/matches", tokens, rate, args.seconds)
                trivial = _stage(port, "/healthz", tokens, rate, args.seconds)
                print(
                    f"{rate:9.0f} | {matches['p50']:9.1f}ms {matches['p99']:6.1f}ms "
                    f"{matches['rps']:7.1f} {matches['failures']:4d} | "
                    f"{trivial['p50']:9.1f}ms {trivial['p99']:6.1f}ms | "
                    f"{matches['p50'] / trivial['p50']:9.1f} {matches['p99'] / trivial['p99']:9.1f}"
                )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
