"""The insights' SQL aggregates give the same known answers on PostgreSQL as on SQLite."""

from __future__ import annotations

import pytest
from flask import Flask

from matcher.extensions import db
from tests.unit.services.test_insights import check_known_answers
from tests.unit.services.world import build_world

pytestmark = pytest.mark.integration


def test_the_aggregates_give_the_known_answers_on_postgresql(pg_app: Flask):
    check_known_answers(db.session, build_world(db.session))
