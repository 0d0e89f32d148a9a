"""A world for API tests, built once into a SQLite file that each test copies.

Organisation A (verified) has an ordinary member and an admin; organisation B's admin is the
"member of another organisation". Placements and interests exist in every state the
operations start from, as do two allocation rounds the person is in (one collecting choices,
one published), and each role has a token.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from matcher import create_app
from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import Match, RoundState
from matcher.services import api_tokens, placements, round_participants, round_places, rounds
from matcher.services import schemes as scheme_service
from matcher.services.allocation_runs import allocate_round
from matcher.services.interests import Action, express_interest, transition
from tests.api import bearer, complete_profile
from tests.unit.services.world import build_world, civil_servant, valid_data

# Who a request acts as, in the authorisation matrix's order.
ROLES = (
    "anonymous",
    "civil_servant",
    "member",
    "org_admin",
    "other_org",
    "platform_admin",
)


@dataclass(frozen=True)
class ApiWorld:
    """Ids of the rows the tests act on, and each role's token."""

    org_a: int
    org_b: int
    member_a: int
    person: int
    draft_a: int
    draft_a_version: int
    open_a: int
    open_a_version: int
    closed_a: int
    closed_a_version: int
    offered_in: int
    draft_b: int
    open_b: int
    interested: int
    shortlisted: int
    offered: int
    candidate: int
    choosing_round: int
    choosing_round_place: int
    published_round: int
    theme_ids: tuple[int, ...]
    skill_ids: tuple[int, ...]
    tokens: dict[str, str]

    def headers(self, role: str, **extra: str) -> dict[str, str]:
        """Request headers with ``role``'s token (none for anonymous)."""
        token = self.tokens.get(role)
        return {**(bearer(token) if token else {}), **extra}


def _moved(session: Session, actor_id: int, interest_id: int, *actions: Action) -> None:
    for action in actions:
        transition(session, actor_id, interest_id, action)


def _round(session: Session, world: Any, placement_id: int, name: str) -> tuple[int, int]:
    """A round collecting choices with the placement offered and the person choosing it."""
    admin = world.platform_admin.id
    scheme = scheme_service.create_scheme(session, admin, name=f"{name} scheme", department_id=None)
    settings = rounds.RoundSettings(name=f"{name} round", max_choices=3)
    round_id = rounds.create_round(session, admin, scheme.id, settings).id
    rounds.advance(session, admin, round_id, RoundState.COLLECTING_PLACES)
    place = round_places.offer_place(session, world.member_a.id, round_id, placement_id, 1)
    secret = round_participants.make_join_link_secret(session, admin, round_id)
    round_participants.join_by_link(
        session, world.person.id, secret, government_domains=("gov.uk",)
    )
    rounds.advance(session, admin, round_id, RoundState.COLLECTING_PREFERENCES)
    round_participants.set_choices(session, world.person.id, round_id, [place.id])
    return round_id, place.id


def build_api_world(session: Session) -> ApiWorld:
    """Make the world through the services and commit it."""
    world = build_world(session)
    member, person = world.member_a, world.person
    complete_profile(session, person, world.theme_ids, world.skill_ids)

    def draft(owner: Any = member, **changes: Any) -> Any:
        organisation_id = world.org_b.id if owner is world.admin_b else world.org_a.id
        return placements.create_draft(
            session, owner.id, organisation_id, valid_data(world, **changes)
        )

    def published(owner: Any = member, **changes: Any) -> Any:
        return placements.publish(session, owner.id, draft(owner, **changes).id)

    draft_a = draft(title="Draft with organisation A")
    open_a = published(title="Open with organisation A")
    offered_in = published(title="Second open placement of A")
    closed_a = placements.close(session, member.id, published(title="Closed with A").id)
    draft_b = draft(world.admin_b, title="Draft with organisation B")
    open_b = published(world.admin_b, title="Open with organisation B")

    interested = express_interest(session, person.id, open_a.id)
    shortlisted = express_interest(session, world.other_person.id, open_a.id)
    _moved(session, member.id, shortlisted.id, Action.SHORTLIST)
    offered = express_interest(session, person.id, offered_in.id)
    _moved(session, member.id, offered.id, Action.SHORTLIST, Action.OFFER)

    candidate = civil_servant(session, discoverable=True)
    session.add(
        Match(
            person_id=candidate.id,
            placement_id=open_a.id,
            score=0.8,
            rank=1,
            reasons=[
                {
                    "component": "themes",
                    "contribution": 0.5,
                    "evidence": {"shared_theme_ids": list(world.theme_ids[:1])},
                }
            ],
            engine_version="test",
        )
    )
    session.flush()
    choosing_round, choosing_round_place = _round(session, world, open_a.id, "Choosing")
    published_round, _ = _round(session, world, open_a.id, "Published")
    admin = world.platform_admin.id
    rounds.advance(session, admin, published_round, RoundState.ALLOCATING)
    allocate_round(session, published_round, by=None)
    rounds.advance(session, admin, published_round, RoundState.PUBLISHED)

    def token(user: Any, organisation: Any = None) -> str:
        organisation_id = organisation.id if organisation is not None else None
        return api_tokens.create_token(session, user.id, "tests", organisation_id=organisation_id)[
            1
        ]

    tokens = {
        "civil_servant": token(person),
        "member": token(member, world.org_a),
        "org_admin": token(world.admin_a, world.org_a),
        "other_org": token(world.admin_b, world.org_b),
        "platform_admin": token(world.platform_admin),
    }
    built = ApiWorld(
        org_a=world.org_a.id,
        org_b=world.org_b.id,
        member_a=member.id,
        person=person.id,
        draft_a=draft_a.id,
        draft_a_version=draft_a.version_id,
        open_a=open_a.id,
        open_a_version=open_a.version_id,
        closed_a=closed_a.id,
        closed_a_version=closed_a.version_id,
        offered_in=offered_in.id,
        draft_b=draft_b.id,
        open_b=open_b.id,
        interested=interested.id,
        shortlisted=shortlisted.id,
        offered=offered.id,
        candidate=candidate.id,
        choosing_round=choosing_round,
        choosing_round_place=choosing_round_place,
        published_round=published_round,
        theme_ids=tuple(world.theme_ids),
        skill_ids=tuple(world.skill_ids),
        tokens=tokens,
    )
    session.commit()
    return built


def api_world_template_in(sqlite_template: Path, folder: Path) -> tuple[Path, ApiWorld]:
    """Copy the migrated database into ``folder`` and build the world in it, once."""
    from tests.conftest import make_settings

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(sqlite_template, folder / "matcher.sqlite3")
    app = create_app(make_settings(folder))
    with app.app_context():
        world = build_api_world(db.session)
        db.session.remove()
        db.engine.dispose()
    return folder / "matcher.sqlite3", world


def world_app(template: Path, folder: Path) -> Flask:
    """An app on a fresh copy of the world's database."""
    from tests.conftest import make_settings

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, folder / "matcher.sqlite3")
    return create_app(make_settings(folder))


def placement_body(world: ApiWorld, **changes: Any) -> dict[str, Any]:
    """A body that ``POST /organisations/{id}/placements`` accepts."""
    return placement_fields(changes.pop("theme_ids", world.theme_ids[:1]), **changes)


def placement_fields(theme_ids: Sequence[int], **changes: Any) -> dict[str, Any]:
    """A placement body with ``theme_ids``, for a test without an ``ApiWorld``."""
    today = london_today()
    body: dict[str, Any] = {
        "title": "Neighbourhood policing data secondment",
        "summary": "Help a force use its data to plan neighbourhood patrols.",
        "description": "Twelve weeks with the analysis team.",
        "kind": "secondment",
        "theme_ids": list(theme_ids),
        "skill_ids": [],
        "grade_min": "EO",
        "grade_max": "G7",
        "remote_possible": True,
        "location_postcode": None,
        "start_date": (today + timedelta(days=90)).isoformat(),
        "duration_weeks": 12,
        "hours": "full_time",
        "capacity": 2,
        "closing_date": (today + timedelta(days=45)).isoformat(),
    }
    body.update(changes)
    return body


def call(
    client: FlaskClient,
    world: ApiWorld,
    role: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> TestResponse:
    """``method path`` under /api/v1 as ``role``."""
    return client.open(
        "/api/v1" + path,
        method=method,
        headers=world.headers(role, **(headers or {})),
        **kwargs,
    )


def fixtures() -> tuple[Any, Any, Any]:
    """The fixtures a test module assigns: ``api_world_template, world, http = fixtures()``.

    Each module builds the world once; every test gets its own copy of the database.
    """

    @pytest.fixture(scope="module")
    def api_world_template(
        sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
    ) -> tuple[Path, ApiWorld]:
        return api_world_template_in(sqlite_template, tmp_path_factory.mktemp("api-world"))

    @pytest.fixture
    def world(api_world_template: tuple[Path, ApiWorld]) -> ApiWorld:
        return api_world_template[1]

    @pytest.fixture
    def http(api_world_template: tuple[Path, ApiWorld], tmp_path: Path) -> Iterator[FlaskClient]:
        app = world_app(api_world_template[0], tmp_path / "app")
        with app.app_context():
            yield app.test_client()
            db.session.remove()
            db.engine.dispose()

    return api_world_template, world, http
