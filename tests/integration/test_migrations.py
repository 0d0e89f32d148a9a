"""Every revision upgrades and downgrades on SQLite and PostgreSQL, and matches the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import inspect

from matcher import create_app
from matcher.extensions import db
from tests.conftest import make_settings
from tests.services import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    else:
        with fresh_postgres_database() as url:
            yield url


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_round_trip(tmp_path: Path, empty_database_url: str):
    app = create_app(make_settings(tmp_path, DATABASE_URL=empty_database_url))
    with app.app_context():
        upgrade()
        assert table_names() == set(db.metadata.tables)

        downgrade(revision="base")
        assert table_names() == set()

        upgrade()
        assert table_names() == set(db.metadata.tables)
        # Raises when the models describe a schema the revisions do not build.
        check()
        db.engine.dispose()
