"""Fixtures for integration tests: real SMTP, Redis and Celery worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy import text

from config import PROJECT_ROOT
from matcher import create_app
from matcher.extensions import db
from tests.conftest import make_settings
from tests.services import unavailable
from tests.smtp import SMTPSink, running_smtp_sink
from tests.waiting import unused_port
from workers.queues import QUEUES

WORKER_START_SECONDS = 60
STOP_SECONDS = 15

# Settings a worker must not inherit from the shell that runs the tests.
_CONFIG_VARIABLES = (
    "MATCHER_ENV",
    "INSTANCE_DIR",
    "SECRET_KEY",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "MAIL_BACKEND",
    "MAIL_OUTBOX_DIR",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_STARTTLS",
    "OUTBOX_RELAY_INTERVAL_SECONDS",
    "BROKER_PUBLISH_TIMEOUT_SECONDS",
    "PROMETHEUS_MULTIPROC_DIR",
)


def _stop(process: subprocess.Popen, sig: signal.Signals = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def smtp_server() -> Iterator[SMTPSink]:
    """A real SMTP server on loopback that records every message it accepts."""
    with running_smtp_sink() as sink:
        yield sink


@dataclass
class WorkerProcess:
    """A running ``celery -A workers worker`` and its log."""

    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        _stop(self.process)


def _celery_environment(tmp_path: Path, environment: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _CONFIG_VARIABLES}
    env.update(
        MATCHER_ENV="test",
        SECRET_KEY="test-secret-key-that-is-long-enough-for-signing",
        INSTANCE_DIR=str(tmp_path / "worker-instance"),
        OUTBOX_RELAY_INTERVAL_SECONDS="0.5",
        LOG_LEVEL="info",
    )
    env.update(environment)
    return env


@pytest.fixture
def celery_worker_process(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real worker processes: ``start(**environment)``; all are stopped at teardown."""
    started: list[WorkerProcess] = []

    def start(**environment: str) -> WorkerProcess:
        env = _celery_environment(tmp_path, environment)
        log_path = tmp_path / f"worker-{len(started)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    str(PROJECT_ROOT / ".venv" / "bin" / "celery"),
                    "-A",
                    "workers",
                    "worker",
                    "-Q",
                    ",".join(QUEUES),
                    "--pool=solo",
                    "--loglevel=INFO",
                    f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        worker = WorkerProcess(process, log_path)
        started.append(worker)
        deadline = time.monotonic() + WORKER_START_SECONDS
        while " ready." not in worker.log():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker did not start:\n{worker.log()}")
            time.sleep(0.1)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def celery_beat_process(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start a real ``celery beat``: ``start(**environment)``; stopped at teardown."""
    started: list[WorkerProcess] = []

    def start(**environment: str) -> WorkerProcess:
        log_path = tmp_path / "beat.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    str(PROJECT_ROOT / ".venv" / "bin" / "celery"),
                    "-A",
                    "workers",
                    "beat",
                    "--schedule",
                    str(tmp_path / "celerybeat-schedule"),
                    "--loglevel=INFO",
                ],
                cwd=PROJECT_ROOT,
                env=_celery_environment(tmp_path, environment),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        beat = WorkerProcess(process, log_path)
        started.append(beat)
        return beat

    yield start
    for beat in started:
        beat.stop()


@dataclass
class RedisServer:
    """A ``redis-server`` of our own, to stop and start again on the same port."""

    port: int
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        if self.process is not None:
            _stop(self.process, signal.SIGKILL)
            self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private Redis on a free port, started; killed at teardown."""
    try:
        subprocess.run(["redis-server", "--version"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as error:
        unavailable("redis-server", error)
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(unused_port(), directory)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def service_app(tmp_path: Path, postgres_url: str) -> Iterator[Callable[..., Flask]]:
    """Make an app on the session's PostgreSQL with extra settings; emptied afterwards."""
    made: list[Flask] = []

    def make(**environment: str) -> Flask:
        application = create_app(
            make_settings(tmp_path / "app-instance", DATABASE_URL=postgres_url, **environment)
        )
        made.append(application)
        return application

    yield make
    for application in made:
        with application.app_context():
            db.session.remove()
            tables = ", ".join(f'"{table.name}"' for table in reversed(db.metadata.sorted_tables))
            with db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.engine.dispose()
