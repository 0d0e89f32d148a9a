"""Full rebuild through real Celery workers: 1 worker process against 2, on PostgreSQL + Redis.

Creates a scratch database and a private redis-server, seeds them with ``seed-demo``'s code,
then for each worker count starts that many ``celery -A workers worker --pool=solo``
processes, sends ``matching.rebuild_all`` and times it until the run is published (each
worker loads and fits its own snapshot, as in production). Everything is removed at the end.
Run: .venv/bin/python -m bench.matching_workers [--people N] [--placements M] [--repeats R]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import redis
from flask_migrate import upgrade
from sqlalchemy import select

from config import PROJECT_ROOT
from matcher import create_app
from matcher.demo.seed import seed_demo
from matcher.extensions import db
from matcher.models import MatchRun, MatchRunStatus
from tests.conftest import make_settings
from tests.services import fresh_postgres_database
from tests.smtp import unused_port
from workers.matching import REBUILD_ALL

DEADLINE_SECONDS = 900


def _start_redis(directory: Path) -> tuple[subprocess.Popen, str]:
    port = unused_port()
    process = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""),
            *("--appendonly", "no", "--dir", str(directory)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return process, f"redis://127.0.0.1:{port}/0"


def _start_workers(count: int, env: dict[str, str], directory: Path) -> list[subprocess.Popen]:
    workers, logs = [], []
    for n in range(count):
        log = directory / f"worker-{uuid.uuid4().hex[:6]}-{n}.log"
        logs.append(log)
        with log.open("wb") as out:
            workers.append(
                subprocess.Popen(
                    [
                        *(str(PROJECT_ROOT / ".venv" / "bin" / "celery"), "-A", "workers"),
                        *("worker", "-Q", "matching", "--pool=solo", "--loglevel=INFO"),
                        f"--hostname=bench-{n}-{uuid.uuid4().hex[:6]}@%h",
                        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                    ],
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    deadline = time.monotonic() + 60
    while not all(" ready." in log.read_text(errors="replace") for log in logs):
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            raise RuntimeError("a worker did not start: " + logs[0].read_text(errors="replace"))
        time.sleep(0.1)
    return workers


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:  # only the processes this bench started, by their handle
        process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    """Seed, then time a full rebuild with 1 and with 2 worker processes."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--placements", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=10_000)
    args = parser.parse_args()
    redis_process = None
    try:
        with fresh_postgres_database() as url, tempfile.TemporaryDirectory() as scratch:
            directory = Path(scratch)
            redis_process, broker = _start_redis(directory)
            overrides = {
                "DATABASE_URL": url,
                "CELERY_BROKER_URL": broker,
                "MATCH_CHUNK_SIZE": str(args.chunk_size),
            }
            app = create_app(make_settings(directory / "instance", **overrides))
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("MATCH")},
                "MATCHER_ENV": "test",
                "SECRET_KEY": "test-secret-key-that-is-long-enough-for-signing",
                "INSTANCE_DIR": str(directory / "worker-instance"),
                "LOG_LEVEL": "info",
                **overrides,
            }
            with app.app_context():
                upgrade()
                started = time.perf_counter()
                seed_demo(db.session, people=args.people, placements=args.placements, seed=7)
                db.session.commit()
                print(
                    f"== full rebuild through Celery, {args.people:,} people x "
                    f"{args.placements:,} placements, chunks of {args.chunk_size:,} =="
                )
                print(f"seed: {time.perf_counter() - started:.1f} s")
                celery = app.extensions["celery"]
                for count in [1, 2] * args.repeats:
                    workers = _start_workers(count, env, directory)
                    try:
                        seconds, rows = _rebuild(celery)
                    finally:
                        _stop(workers)
                    print(f"{count} worker process(es): {seconds:6.1f} s  ({rows:,} rows)")
                db.session.remove()
                db.engine.dispose()
    finally:
        if redis_process is not None:
            _stop([redis_process])


def _rebuild(celery) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Send rebuild-all and wait until its run is published: seconds and rows."""
    db.session.rollback()
    before = db.session.scalar(select(db.func.max(MatchRun.id))) or 0
    started = time.perf_counter()
    celery.send_task(REBUILD_ALL)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        db.session.rollback()
        run = db.session.scalars(select(MatchRun).where(MatchRun.id > before)).first()
        if run is not None and run.status == MatchRunStatus.PUBLISHED:
            return time.perf_counter() - started, run.rows
        if run is not None and run.status == MatchRunStatus.FAILED:
            raise RuntimeError(f"match run {run.id} failed")
        if time.monotonic() > deadline:
            raise RuntimeError("the rebuild did not finish in time")
        time.sleep(0.2)


if __name__ == "__main__":
    main()
