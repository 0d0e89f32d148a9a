"""On PostgreSQL demo seeding takes the COPY path and gives the same rows as on SQLite."""

from __future__ import annotations

from flask import Flask

from matcher.extensions import db
from tests.unit.demo.test_seed import seed


def test_postgres_seed_matches_sqlite(pg_app: Flask, app: Flask) -> None:
    # ``app`` was entered last, so its SQLite context is the current one.
    sqlite_digest = seed(people=150, placements=80)
    db.session.remove()
    with pg_app.app_context():
        postgres_digest = seed(people=150, placements=80)
    assert postgres_digest == sqlite_digest
