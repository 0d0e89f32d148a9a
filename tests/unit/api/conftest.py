"""Apps for API tests: reference data loaded, a world of people, and a token for each."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from matcher.extensions import db
from tests.api import token_for
from tests.unit.services.world import World, build_world


@pytest.fixture
def api_app(site: Flask) -> Flask:
    """The app with reference data (``site``), named for what these tests drive."""
    return site


@pytest.fixture
def client(api_app: Flask) -> FlaskClient:
    return api_app.test_client()


@dataclass
class Callers:
    """The world, and a token secret for each kind of caller in it."""

    world: World
    civil_servant: str
    other_civil_servant: str
    member: str
    org_admin: str
    other_org: str
    platform_admin: str

    def __getitem__(self, role: str) -> str:
        return getattr(self, role)


@pytest.fixture
def callers(api_app: Flask) -> Callers:
    """Organisation A (admin, member), B (admin), two civil servants, a platform admin."""
    world = build_world(db.session)
    return Callers(
        world=world,
        civil_servant=token_for(db.session, world.person),
        other_civil_servant=token_for(db.session, world.other_person),
        member=token_for(db.session, world.member_a, world.org_a.id),
        org_admin=token_for(db.session, world.admin_a, world.org_a.id),
        other_org=token_for(db.session, world.admin_b, world.org_b.id),
        platform_admin=token_for(db.session, world.platform_admin),
    )
