"""Apps for page and API tests: a migrated SQLite database with the reference data loaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from matcher.extensions import db
from tests.web import reference_database, web_app


@pytest.fixture(scope="session")
def reference_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated database with reference data, built once per session."""
    return reference_database(sqlite_template, tmp_path_factory.mktemp("reference-template"))


@pytest.fixture
def site(tmp_path: Path, reference_template: Path) -> Iterator[Flask]:
    """An app with reference data, its context pushed."""
    application = web_app(tmp_path, reference_template)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()
