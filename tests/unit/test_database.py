"""Engine settings: SQLite transactions that savepoints cannot end early."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import Theme


def _themes() -> int:
    return db.session.scalar(select(func.count()).select_from(Theme)) or 0


def test_releasing_the_first_savepoint_leaves_the_transaction_to_roll_back(app: Flask):
    before = _themes()
    with db.session.begin_nested():
        db.session.add(Theme(slug="savepoint", name="Savepoint", description="", active=True))

    db.session.rollback()

    assert _themes() == before
