"""Full rebuild through real Celery workers: 1, 2 and 4 worker processes, on PostgreSQL + Redis.

Creates a scratch database and a private redis-server, seeds them with ``seed-demo``'s code,
then times a baseline, the whole rebuild in this process without Celery (``rebuild_sync``:
load, fit, score, COPY, publish), and for each worker count starts that many
``celery -A workers worker --pool=solo`` processes, each with ``MATCH_THREADS`` set to its
share of the cores, sends ``matching.rebuild_all`` and times
it until the run is published: one worker fits the snapshot and shares it, every worker scores
chunks with it. Prints the seconds side by side, the scaling ratio against one worker, the
CPU time of the worker processes (or this one) and of the database's server backends, and
the load average with each figure (other work on the machine slows every figure). Everything
is removed at the end.
Run: .venv/bin/python -m bench.matching_workers [--large] [--people N] [--placements M]
     [--workers 1 2 4] [--repeats R] [--no-baseline]
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
from sqlalchemy import select, text

from config import PROJECT_ROOT
from matcher import create_app
from matcher.demo.seed import seed_demo
from matcher.extensions import db
from matcher.models import MatchRun, MatchRunStatus
from matcher.stored_matches.cores import share_of_cores
from matcher.stored_matches.rebuild import rebuild_sync
from matcher.stored_matches.snapshot import forget_snapshots
from tests.conftest import make_settings
from tests.services import fresh_postgres_database, vacuum
from tests.smtp import unused_port
from workers.matching import REBUILD_ALL

DEADLINE_SECONDS = 900
WORKER_START_SECONDS = 240
# Issue #14 §4: from "rebuild" to published, with two worker processes.
BUDGETS = {(100_000, 10_000): 15.0, (500_000, 20_000): 180.0}
LARGE = (500_000, 20_000)


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
    # Four workers importing the app at once on a busy machine can take a minute or more.
    deadline = time.monotonic() + WORKER_START_SECONDS
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


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of a process on this machine so far; None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds spent by some processes and by the bench database's server backends.

    Backends are found in pg_stat_activity each time ``sample`` runs and counted up to their
    last sample, so one that ends between samples (a parallel index builder) is undercounted;
    the figure is a floor. Without a local server the server's share reads 0.
    """

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.start: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.sample(first=True)

    def _backends(self) -> list[int]:
        db.session.rollback()
        return list(
            db.session.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            )
        )

    def sample(self, first: bool = False) -> None:
        """Read every watched process's CPU time now."""
        for pid in {*self.pids, *self._backends()}:
            seconds = _cpu_seconds(pid)
            if seconds is None:
                continue
            if first:
                self.start[pid] = seconds
            self.last[pid] = seconds

    def spent(self, include_self: float = 0.0) -> tuple[float, float]:
        """CPU seconds since the first sample: (the processes', the server's)."""
        self.sample()
        mine = sum(self.last[p] - self.start.get(p, 0.0) for p in self.pids if p in self.last)
        server = sum(
            seconds - self.start.get(pid, 0.0)
            for pid, seconds in self.last.items()
            if pid not in self.pids
        )
        return mine + include_self, server


def main() -> None:
    """Seed, then time the baseline and a full rebuild with 1, 2 and 4 worker processes."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--large", action="store_true", help="500,000 people x 20,000 placements")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--placements", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the one-process rebuild (large runs)"
    )
    parser.add_argument("--chunk-size", type=int, default=10_000)
    args = parser.parse_args()
    people, placements = LARGE if args.large else (args.people, args.placements)
    redis_process = None
    try:
        with fresh_postgres_database() as url, tempfile.TemporaryDirectory() as scratch:
            directory = Path(scratch)
            redis_process, broker = _start_redis(directory)
            overrides = {
                "DATABASE_URL": url,
                "CELERY_BROKER_URL": broker,
                "MATCH_CHUNK_SIZE": str(args.chunk_size),
                # One folder for this process and the workers: the shared snapshot goes there.
                "MATCH_SNAPSHOT_DIR": str(directory / "match-snapshots"),
            }
            settings = make_settings(directory / "instance", **overrides)
            app = create_app(settings)
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
                seed_demo(db.session, people=people, placements=placements, seed=7)
                db.session.commit()
                # Statistics and hint bits, as autovacuum gives tables that filled over months
                # (the test server runs none): without them the first rebuild reads a bulk load.
                vacuum(db.engine, "VACUUM ANALYZE")
                print(
                    f"== full rebuild, {people:,} people x {placements:,} placements, "
                    f"chunks of {args.chunk_size:,}, on {os.cpu_count()} cores ==",
                    flush=True,
                )
                print(f"seed: {time.perf_counter() - started:.1f} s", flush=True)
                figures: dict[str, list[float]] = {}
                for _ in range(args.repeats):
                    if not args.no_baseline:
                        forget_snapshots()
                        meter = CpuMeter([])
                        cpu = time.process_time()
                        started = time.perf_counter()
                        rows = rebuild_sync(db.session, settings).rows
                        seconds = time.perf_counter() - started
                        spent = meter.spent(time.process_time() - cpu)
                        _report(figures, "baseline: one process, no Celery", seconds, rows, spent)
                        forget_snapshots()  # its memory is of no use to the workers
                    celery = app.extensions["celery"]
                    for count in args.workers:
                        # Solo workers, one process each: each gets its share of the cores.
                        threads = {"MATCH_THREADS": str(share_of_cores(count))}
                        workers = _start_workers(count, {**env, **threads}, directory)
                        try:
                            meter = CpuMeter([worker.pid for worker in workers])
                            seconds, rows = _rebuild(celery, meter)
                            spent = meter.spent()
                        finally:
                            _stop(workers)
                        _report(figures, f"{count} worker process(es)", seconds, rows, spent)
                _summary(figures, BUDGETS.get((people, placements)))
                db.session.remove()
                db.engine.dispose()
    finally:
        if redis_process is not None:
            _stop([redis_process])


def _report(
    figures: dict[str, list[float]],
    label: str,
    seconds: float,
    rows: int,
    cpu: tuple[float, float],
) -> None:
    """Record and print one figure, with its CPU time and the load average it was measured
    under: on a busy machine the wall time follows the load, the CPU time much less."""
    figures.setdefault(label, []).append(seconds)
    print(
        f"{label:<34} {seconds:7.1f} s  cpu: processes {cpu[0]:5.1f} + server {cpu[1]:5.1f} s  "
        f"({rows:,} rows; load average {_load()})",
        flush=True,
    )


def _summary(figures: dict[str, list[float]], budget: float | None) -> None:
    """The best of each figure side by side, the scaling ratio, and the budget."""
    best = {label: min(seconds) for label, seconds in figures.items()}
    one = best.get("1 worker process(es)")
    print()
    print(f"{'':<34} {'seconds':>8} {'vs 1 worker':>12}")
    for label, seconds in best.items():
        ratio = f"{one / seconds:11.2f}x" if one else ""
        print(f"{label:<34} {seconds:8.1f} {ratio}")
    two = best.get("2 worker process(es)")
    if budget is not None and two is not None:
        verdict = "met" if two < budget else "NOT met"
        print(f"budget with 2 worker processes: under {budget:.0f} s: {verdict} ({two:.1f} s)")


def _rebuild(celery, meter: CpuMeter) -> tuple[float, int]:  # type: ignore[no-untyped-def]
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
        meter.sample()
        time.sleep(0.2)


if __name__ == "__main__":
    main()
