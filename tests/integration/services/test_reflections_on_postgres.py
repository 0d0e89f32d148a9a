"""The reflection job's date arithmetic (a placement's end, written per dialect) on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from flask import Flask

from matcher.clock import set_now
from matcher.extensions import app_settings, db
from matcher.models import InterestStatus
from matcher.services import reflections
from tests.unit.services.world import build_world, interest_in, open_placement

pytestmark = pytest.mark.integration


def test_a_placement_is_asked_about_from_the_day_after_its_last_day(pg_app: Flask):
    world = build_world(db.session)
    placement = open_placement(db.session, world, duration_weeks=3)
    interest_in(db.session, world, placement, InterestStatus.ACCEPTED)
    db.session.commit()
    ends_on = placement.start_date + timedelta(weeks=3)

    set_now(datetime.combine(ends_on - timedelta(days=1), time(12), tzinfo=UTC))
    assert reflections.ask_for_due(db.session, app_settings()) == reflections.Asked(0, 0)
    set_now(datetime.combine(ends_on, time(12), tzinfo=UTC))
    assert reflections.ask_for_due(db.session, app_settings()) == reflections.Asked(2, 0)
    db.session.commit()
    assert reflections.ask_for_due(db.session, app_settings()) == reflections.Asked(0, 0)
