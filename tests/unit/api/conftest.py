"""Apps for API tests: reference data loaded, a world of people, and a token for each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from matcher.extensions import db
from tests.api import token_for
from tests.unit.services.world import World, build_world
from tests.web import reference_database, web_app


@pytest.fixture(scope="session")
def api_reference_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated database with reference data, built once per session."""
    return reference_database(sqlite_template, tmp_path_factory.mktemp("api-reference"))


@pytest.fixture
def api_app(tmp_path: Path, api_reference_template: Path) -> Iterator[Flask]:
    """An app with reference data, its context pushed."""
    application = web_app(tmp_path, api_reference_template)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


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
