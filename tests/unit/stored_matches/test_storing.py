"""Reasons packed column-wise, or one match at a time, read back as exactly what each pair's
reasons say, and the rows stored on either database (binary COPY on PostgreSQL) are exactly
the engine's."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from matcher.engine import ENGINE_VERSION, Engine, EngineConfig, PeopleFrame, PlacementFrame
from matcher.extensions import db
from matcher.models import Match, utcnow
from matcher.models.packed_reasons import pack_reason_list, pack_reasons, unpack_reasons
from matcher.stored_matches.snapshot import current_snapshot, forget_snapshots
from matcher.stored_matches.storing import replace_people_matches
from tests.unit.engine.test_engine import worlds
from tests.unit.stored_matches.helpers import seed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_packed_reasons_read_back_as_each_pairs_reasons(world: Any) -> None:
    people, placements = world
    # Placements in reverse id order: "not for me" evidence must still come out ascending.
    engine = Engine(EngineConfig(k=4, threads=1, today=None)).fit(
        PeopleFrame.from_records(people), PlacementFrame.from_records(placements[::-1])
    )
    n_people, n_placements = len(people), len(placements)
    grid = np.indices((n_people, n_placements)).reshape(2, -1)
    reasons = engine.explain_pairs(grid[0], grid[1])
    packed = pack_reasons(reasons)
    assert len(packed) == len(reasons)
    for i, value in enumerate(packed):
        expected = json.loads(json.dumps(reasons.for_pair(i)))
        assert unpack_reasons(value) == expected
        assert unpack_reasons(pack_reason_list(expected)) == expected


@pytest.fixture(params=["app", "pg_app"], ids=["sqlite", "postgresql"])
def either_app(request: pytest.FixtureRequest) -> Flask:
    """The app on SQLite (executemany), then on PostgreSQL (binary COPY)."""
    return request.getfixturevalue(request.param)


def test_stored_rows_are_exactly_the_engines_on_either_database(either_app: Flask) -> None:
    seed(db.session, people=40, placements=30)
    forget_snapshots()
    engine = current_snapshot(db.session, either_app.config["MATCHER_SETTINGS"]).engine
    top = engine.top_placements_for_people()
    before = utcnow()
    replace_people_matches(db.session, engine.people.ids.tolist(), top)  # type: ignore[union-attr]
    db.session.commit()
    rows = {
        (m.person_id, m.placement_id): m
        for m in db.session.scalars(select(Match).execution_options(populate_existing=True))
    }
    expected = list(top.records())
    assert len(rows) == len(expected) > 0
    for record in expected:
        row = rows[(record["person_id"], record["placement_id"])]
        # Scores to the bit: the float32 the engine computed, widened, as on SQLite.
        assert (row.score, row.rank, row.engine_version) == (
            record["score"],
            record["rank"],
            ENGINE_VERSION,
        )
        assert row.reasons == json.loads(json.dumps(record["reasons"]))
        assert before <= row.computed_at <= utcnow()
