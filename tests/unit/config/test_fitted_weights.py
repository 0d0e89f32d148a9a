"""The shipped match weights are the ones bench.fit_weights fitted, so the two cannot drift."""

from __future__ import annotations

import json
from pathlib import Path

from config import MATCH_WEIGHT_DEFAULTS, load_settings

FITTED_WEIGHTS = Path(__file__).parents[3] / "bench" / "fitted_weights.json"


def test_the_default_weights_are_the_fitted_weights():
    fitted = json.loads(FITTED_WEIGHTS.read_text())["weights"]

    assert dict(MATCH_WEIGHT_DEFAULTS) == fitted


def test_settings_without_weight_variables_use_the_fitted_weights():
    fitted = json.loads(FITTED_WEIGHTS.read_text())["weights"]

    assert dict(load_settings({}).match_weights) == fitted
