"""Fixtures for service tests: a world of organisations, members and people on SQLite."""

from __future__ import annotations

import pytest
from flask import Flask

from matcher.extensions import db
from tests.unit.services.world import World, build_world


@pytest.fixture
def world(app: Flask) -> World:
    """The shared test world on the test's own SQLite database."""
    return build_world(db.session)
