"""The column-wise JSON of reasons parses to exactly what each pair's reasons say."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings

from matcher.engine import Engine, EngineConfig, PeopleFrame, PlacementFrame
from matcher.stored_matches.storing import reasons_json
from tests.unit.engine.test_engine import worlds


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_reasons_json_equals_each_pairs_reasons(world: Any) -> None:
    people, placements = world
    # Placements in reverse id order: "not for me" evidence must still come out ascending.
    engine = Engine(EngineConfig(k=4, threads=1, today=None)).fit(
        PeopleFrame.from_records(people), PlacementFrame.from_records(placements[::-1])
    )
    n_people, n_placements = len(people), len(placements)
    grid = np.indices((n_people, n_placements)).reshape(2, -1)
    reasons = engine.explain_pairs(grid[0], grid[1])
    texts = reasons_json(reasons)
    assert len(texts) == len(reasons)
    for i, text in enumerate(texts):
        assert json.loads(text) == json.loads(json.dumps(reasons.for_pair(i)))
