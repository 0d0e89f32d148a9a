"""Fixtures shared by every test: settings, migrated databases and apps."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from config import Settings, load_settings
from matcher import create_app
from matcher.clock import london_date, now, set_now
from matcher.extensions import db
from matcher.observability.metrics import MULTIPROCESS_DIRECTORY
from tests.services import fresh_postgres_database

# Our own markup shown as text: a tag that carries a GOV.UK or app class, escaped. People's own
# words may hold "<" and are escaped as they should be, but never with our class names.
ESCAPED_MARKUP = re.compile(r"&lt;/?[a-z]+ class=(?:&#34;|&quot;|\")(?:govuk|app)-")


class PageCheckingClient(FlaskClient):
    """A test client that fails any HTML response showing its own markup as text."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        if response.mimetype == "text/html":
            shown = ESCAPED_MARKUP.search(response.get_data(as_text=True))
            assert shown is None, f"markup shown as text on {response.request.path}: {shown}"
        return response


Flask.test_client_class = PageCheckingClient


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """Two test processes per core for ``-n auto``: many tests wait on the processes they
    start (Celery workers, Chromium, ``make run``), and a second test runs while they wait."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return 2 * len(os.sched_getaffinity(0))


# The instant the test session starts at: a weekday morning in London, days from a change of
# month or of the clocks, so that no test depends on the day or the hour it runs.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TODAY = london_date(NOW)


@pytest.fixture(scope="session", autouse=True)
def session_clock() -> Iterator[None]:
    """Set the service's clock to ``NOW`` before any fixture builds data, for the session."""
    set_now(NOW)
    yield
    set_now(None)


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest, session_clock: None) -> Iterator[None]:
    """The session's clock for the test, which may set it; it runs on from there afterwards.

    Tests that start worker processes read the machine's clock, as those processes do.
    """
    before, started = now(), time.monotonic()
    if "celery_worker_process" in request.fixturenames:
        set_now(None)
    yield
    set_now(before + timedelta(seconds=time.monotonic() - started))


def make_settings(instance_dir: Path, **overrides: str) -> Settings:
    """Settings for a test: the embedded defaults under ``instance_dir`` plus ``overrides``."""
    environ = {
        "MATCHER_ENV": "test",
        "INSTANCE_DIR": str(instance_dir),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-signing",
        "LOG_LEVEL": "warning",
    }
    environ.update(overrides)
    return load_settings(environ)


def migrated_app(settings: Settings) -> Flask:
    """Create an app for ``settings`` and bring its database to the newest revision."""
    app = create_app(settings)
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session", autouse=True)
def metrics_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this session's processes write Prometheus samples: test runs side by side (and
    their workers) would otherwise add up each other's in a shared instance folder."""
    directory = tmp_path_factory.mktemp("metrics")
    os.environ[MULTIPROCESS_DIRECTORY] = str(directory)
    return directory


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session, copied for each test that needs one."""
    instance = tmp_path_factory.mktemp("sqlite-template")
    app = migrated_app(make_settings(instance))
    with app.app_context():
        db.engine.dispose()
    return instance / "matcher.sqlite3"


@pytest.fixture
def app(tmp_path: Path, sqlite_template: Path) -> Iterator[Flask]:
    """An app on its own migrated SQLite database."""
    shutil.copy(sqlite_template, tmp_path / "matcher.sqlite3")
    application = create_app(make_settings(tmp_path))
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database migrated to head once per session (per xdist worker)."""
    with fresh_postgres_database() as url:
        instance = tmp_path_factory.mktemp("postgres-instance")
        app = migrated_app(make_settings(instance, DATABASE_URL=url))
        with app.app_context():
            db.engine.dispose()
        yield url


@pytest.fixture
def pg_app(tmp_path: Path, postgres_url: str) -> Iterator[Flask]:
    """An app on the session's PostgreSQL database, emptied after each test."""
    application = create_app(make_settings(tmp_path, DATABASE_URL=postgres_url))
    with application.app_context():
        yield application
        db.session.remove()
        tables = ", ".join(f'"{table.name}"' for table in reversed(db.metadata.sorted_tables))
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()
