"""A world for API tests, built once into a SQLite file that each test copies.

Organisation A (verified) has an ordinary member and an admin; organisation B's admin is the
"member of another organisation". Placements and interests exist in every state the
operations start from, as do allocation rounds of one cross-government scheme in each state a
round operation starts from (the person is in the choosing, allocated and published ones,
organisation A has a place in each but the draft), and each role has a token, as do a manager
of that scheme and a manager of another.
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
    scheme: int
    draft_round: int
    places_round: int
    places_round_place: int
    choosing_round: int
    choosing_round_place: int
    choosing_participant: int
    allocated_round: int
    published_round: int
    published_participant: int
    other_scheme: int
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


@dataclass(frozen=True)
class _Round:
    id: int
    place: int
    participant: int


def _round(session: Session, world: Any, scheme_id: int, placement_id: int, name: str) -> _Round:
    """A round collecting choices with the placement offered and the person choosing it."""
    admin = world.platform_admin.id
    settings = rounds.RoundSettings(name=f"{name} round", max_choices=3)
    round_id = rounds.create_round(session, admin, scheme_id, settings).id
    rounds.advance(session, admin, round_id, RoundState.COLLECTING_PLACES)
    place = round_places.offer_place(session, world.member_a.id, round_id, placement_id, 1)
    secret = round_participants.make_join_link_secret(session, admin, round_id)
    joined = round_participants.join_by_link(
        session, world.person.id, secret, government_domains=("gov.uk",)
    )
    rounds.advance(session, admin, round_id, RoundState.COLLECTING_PREFERENCES)
    round_participants.set_choices(session, world.person.id, round_id, [place.id])
    return _Round(round_id, place.id, joined.id)


def _allocated(session: Session, admin: int, round_id: int) -> None:
    rounds.advance(session, admin, round_id, RoundState.ALLOCATING)
    allocate_round(session, round_id, by=None)


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
    admin = world.platform_admin.id
    scheme = scheme_service.create_scheme(session, admin, name="Fast Stream", department_id=None)
    draft_round = rounds.create_round(
        session, admin, scheme.id, rounds.RoundSettings(name="Draft round", max_choices=3)
    )
    places_round = rounds.create_round(
        session, admin, scheme.id, rounds.RoundSettings(name="Places round", max_choices=3)
    )
    rounds.advance(session, admin, places_round.id, RoundState.COLLECTING_PLACES)
    places_round_place = round_places.offer_place(session, member.id, places_round.id, open_a.id, 1)
    choosing = _round(session, world, scheme.id, open_a.id, "Choosing")
    allocated = _round(session, world, scheme.id, open_a.id, "Allocated")
    _allocated(session, admin, allocated.id)
    published = _round(session, world, scheme.id, open_a.id, "Published")
    _allocated(session, admin, published.id)
    rounds.advance(session, admin, published.id, RoundState.PUBLISHED)
    manager, other_manager = civil_servant(session), civil_servant(session)
    scheme_service.appoint_manager(session, admin, scheme.id, manager.email)
    other_scheme = scheme_service.create_scheme(
        session, admin, name="Graduate scheme", department_id=None
    )
    scheme_service.appoint_manager(session, admin, other_scheme.id, other_manager.email)

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
        # Not in the matrix's roles: a manager of the rounds' scheme, and of another scheme.
        "manager": token(manager),
        "other_manager": token(other_manager),
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
        scheme=scheme.id,
        draft_round=draft_round.id,
        places_round=places_round.id,
        places_round_place=places_round_place.id,
        choosing_round=choosing.id,
        choosing_round_place=choosing.place,
        choosing_participant=choosing.participant,
        allocated_round=allocated.id,
        published_round=published.id,
        published_participant=published.participant,
        other_scheme=other_scheme.id,
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


def fixtures(*, one_app: bool = False) -> tuple[Any, Any, Any]:
    """The fixtures a test module assigns: ``api_world_template, world, http = fixtures()``.

    Each module builds the world once; every test gets its own copy of the database. With
    ``one_app`` the module's tests share one app, and each test's copy replaces the last under
    it: for a module of many one-request tests, where making an app is most of each test's
    cost. Its state outside the database (rate limits, one-time form tokens) is shared too.
    """

    @pytest.fixture(scope="module")
    def api_world_template(
        sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
    ) -> tuple[Path, ApiWorld]:
        return api_world_template_in(sqlite_template, tmp_path_factory.mktemp("api-world"))

    @pytest.fixture
    def world(api_world_template: tuple[Path, ApiWorld]) -> ApiWorld:
        return api_world_template[1]

    # The module's one app, made by its first test (``one_app``).
    apps: dict[Path, Flask] = {}

    @pytest.fixture
    def http(api_world_template: tuple[Path, ApiWorld], tmp_path: Path) -> Iterator[FlaskClient]:
        template = api_world_template[0]
        if one_app and template in apps:
            app = apps[template]
            _restore(template, app)
        else:
            app = world_app(template, tmp_path / "app")
            if one_app:
                apps[template] = app
        with app.app_context():
            yield app.test_client()
            db.session.remove()
            db.engine.dispose()

    return api_world_template, world, http


def _restore(template: Path, app: Flask) -> None:
    """Put a fresh copy of the world's database under ``app``, whose connections are closed."""
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    for leftover in (
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
    ):
        leftover.unlink(missing_ok=True)
    shutil.copy(template, database)
