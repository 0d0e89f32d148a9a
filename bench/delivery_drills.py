"""Digests under faults, full size: print what each drill planned, delivered and repeated.

    .venv/bin/python -m bench.delivery_drills [--people 5000] [--drills refused,421,...]

Production layout on one machine: a fresh PostgreSQL database (TEST_POSTGRES_ADMIN_URL, as the
tests), a private redis-server without persistence, an aiosmtpd sink, an email worker (two
processes), a recovery worker and beat. Retries and recovery run faster than production's
defaults (printed at the start; production: 30 s first retry, recovery every 60 s, a task 180 s
overdue taken for lost): a storm of 2,000 421s is 2,000 tries, and at production's backoff (each
batch waiting up to 5 minutes between tries) it takes hours to use up; with 1 s first retry and
60 s before recovery it took more than 15 minutes. The rate limit is production's 50 a second
per process. Each drill
plans this week's digests afresh and enqueues them, breaks something while they go, and waits
until every recipient has a message the server acknowledged:

- 421: the server answers 421 to its first 2,000 messages (40 % of 5,000), then accepts;
- refused: the server stops listening for 60 s once a tenth has arrived (connections open are
  dropped, new ones refused);
- unanswered: the server takes one message in 500 and closes the connection instead of
  answering its final ".";
- redis: Redis is killed without persistence once a third has arrived, and restarted 32 s later.

Duplicates are messages beyond one per recipient; each should carry the Message-ID of the
recipient's other copy.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from config import PROJECT_ROOT
from matcher import create_app
from matcher.clock import london_today
from matcher.digests.periods import period_for
from matcher.digests.sending import pending_ids, plan_period
from matcher.extensions import db
from matcher.models import DigestKind, utcnow
from tests import digest_world
from tests.conftest import make_settings
from tests.services import fresh_postgres_database
from tests.smtp import SMTPSink, running_smtp_sink
from tests.waiting import unused_port
from workers.digests import enqueue_batches

CELERY = str(PROJECT_ROOT / ".venv" / "bin" / "celery")
DRILLS = ("refused", "unanswered", "redis", "421")
# Long enough for the slowest drill with production retry delays; a drill that takes
# longer is reported as unfinished.
DRILL_LIMIT_SECONDS = 600


class Redis:
    """A redis-server of our own, without persistence, to kill and start on the same port."""

    def __init__(self, directory: Path) -> None:
        self.port = unused_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def _environment(url: str, broker: str, sink: SMTPSink, instance: Path) -> dict[str, str]:
    return {
        "MATCHER_ENV": "test",
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-signing",
        "INSTANCE_DIR": str(instance),
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": broker,
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": sink.host,
        "SMTP_PORT": str(sink.port),
        "LOG_LEVEL": "warning",
        "DIGEST_RETRY_BASE_SECONDS": "0.1",
        "DIGEST_RECOVERY_INTERVAL_SECONDS": "5",
        "DIGEST_REENQUEUE_AFTER_SECONDS": "20",
    }


@contextmanager
def _celery(env: dict[str, str], logs: Path) -> Iterator[None]:
    """An email worker, a recovery worker and beat, stopped at the end."""
    commands = {
        "email": ["worker", "-Q", "email", "--concurrency", "2"],
        "recovery": ["worker", "-Q", "recovery", "--pool=solo"],
        "beat": ["beat", "--schedule", str(logs / "celerybeat-schedule")],
    }
    processes = []
    for name, arguments in commands.items():
        hostname = [f"--hostname={name}@%h"] if arguments[0] == "worker" else []
        with (logs / f"{name}.log").open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [CELERY, "-A", "workers", *arguments, *hostname, "--loglevel=WARNING"],
                    cwd=PROJECT_ROOT,
                    env={**os.environ, **env},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def _acknowledged(sink: SMTPSink) -> int:
    return len({r.rcpt_tos[0] for r in sink.messages() if r.answered})


def _wait(condition: Callable[[], bool], limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _drill(
    name: str, app: Flask, sink: SMTPSink, broker: Redis, addresses: list[str], batch: int
) -> None:
    with app.app_context():
        db.session.execute(text("DELETE FROM digest_deliveries"))
        db.session.commit()
        sink.received.clear()
        sink.refused = sink.refuse_next = 0
        sink.leave_unanswered = set()
        period = period_for(DigestKind.WEEKLY, utcnow())
        plan_period(db.session, DigestKind.WEEKLY, period, utcnow())
        db.session.commit()
        ids = pending_ids(db.session, period)
        db.session.rollback()
        planned = len(ids)
        if name == "421":
            sink.refuse_next = 2000 * planned // 5000
        if name == "unanswered":
            sink.leave_unanswered = set(addresses[::500])
        started = time.perf_counter()
        enqueue_batches(ids, batch)
        if name == "refused":
            _wait(lambda: len(sink.messages()) >= planned // 10, DRILL_LIMIT_SECONDS)
            sink.stop()
            time.sleep(60)
            sink.start()
        if name == "redis":
            _wait(lambda: len(sink.messages()) >= planned // 3, DRILL_LIMIT_SECONDS)
            broker.kill()
            time.sleep(32)
            broker.start()
        finished = _wait(lambda: _acknowledged(sink) >= planned, DRILL_LIMIT_SECONDS)
        elapsed = time.perf_counter() - started
        # Late copies would arrive within a retry; a few seconds shows there are none.
        time.sleep(5)
        messages = sink.messages()
        by_recipient: dict[str, set[str]] = {}
        for received in messages:
            by_recipient.setdefault(received.rcpt_tos[0], set()).add(
                str(received.message["Message-ID"])
            )
        duplicates = len(messages) - len(by_recipient)
        same_id = all(len(ids) == 1 for ids in by_recipient.values())
        print(
            f"{name:>10}: planned {planned}, delivered {_acknowledged(sink)}, duplicates "
            f"{duplicates} (same Message-ID: {'yes' if same_id else 'NO'}), "
            + (f"finished in {elapsed:.0f} s" if finished else f"NOT finished in {elapsed:.0f} s")
            + (f"; 421s answered {sink.refused}" if name == "421" else ""),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--drills", default=",".join(DRILLS))
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="bench-drills-"))
    broker = Redis(instance)
    broker.start()
    try:
        with fresh_postgres_database() as url, running_smtp_sink() as sink:
            env = _environment(url, broker.url, sink, instance)
            app = create_app(make_settings(instance, **env))
            with app.app_context():
                upgrade()
                digest_world.build(db.session, args.people - 1, today=london_today())
            addresses = [f"person{index}@example.gov.uk" for index in range(args.people - 1)]
            shown = {key: value for key, value in env.items() if key.startswith("DIGEST_")}
            print(
                f"{args.people} recipients a period, batches of {args.batch}, {shown}; logs in",
                instance,
                flush=True,
            )
            with _celery(env, instance):
                for name in args.drills.split(","):
                    _drill(name, app, sink, broker, addresses, args.batch)
            with app.app_context():
                db.engine.dispose()
    finally:
        broker.kill()


if __name__ == "__main__":
    main()
