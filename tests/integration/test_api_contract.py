"""The API keeps its OpenAPI contract, over real HTTP, on PostgreSQL, for every kind of caller.

schemathesis reads the document the running app serves and, for every operation in it (less
those whose role check refuses the caller outright, ``refused_by_role``), sends
the document's examples, boundary and missing-value cases (coverage) and generated requests
(fuzzing), valid and deliberately invalid. Every response must be no server error, have a
documented status, content type, headers and body, and invalid requests must be refused.
New operations are covered as soon as they are in the document.
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis.checks import not_a_server_error
from schemathesis.engine import Status, events
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from matcher import create_app
from matcher.api.operations import OPERATIONS
from matcher.extensions import db
from matcher.http.ratelimit import API_PER_TOKEN
from matcher.models import InterestStatus, Role, RoundState
from matcher.services import round_participants, round_places, rounds, schemes
from matcher.services.allocation_runs import allocate_round
from matcher.stored_matches.rebuild import rebuild_sync
from matcher.stored_matches.snapshot import forget_snapshots
from tests.api import complete_profile, token_for
from tests.conftest import make_settings
from tests.live import LiveServer
from tests.unit.services.world import (
    World,
    build_world,
    draft,
    interest_in,
    open_placement,
    published_note,
)

pytestmark = pytest.mark.integration

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Enough generated requests per operation to find the shapes that break a handler, few
# enough that every operation for three callers runs in a couple of minutes on two cores.
MAX_EXAMPLES = 15
CONFIG = {
    # A fixed seed: a failure in CI is the same failure on a laptop.
    "seed": 20261125,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": True},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
}
# Each kind of caller and the role its token's owner has.
CALLERS = {
    "civil_servant": Role.CIVIL_SERVANT,
    "organisation_admin": Role.ORGANISATION_MEMBER,
    "platform_administrator": Role.ADMINISTRATOR,
}


def refused_by_role(role: Role) -> list[str]:
    """The operations whose role check refuses ``role`` before anything else runs: the same
    403 every time, which the authorisation matrix checks, so the caller's requests go
    elsewhere."""
    return [spec.operation_id for spec in OPERATIONS if spec.roles and role not in spec.roles]


# The stateful phase follows the document's links (create a placement, then publish, close,
# reopen it with the ETag it got...): fixed seeds, and scenarios few and short enough to run
# in well under a minute on two cores. The engine ends a seed's run early when a replay
# differs from its first run (the server kept what the first made), so several seeds.
STATEFUL_SEEDS = (20261129, 7, 11)
STATEFUL_SCENARIOS = 80
STATEFUL_STEPS = 8


@dataclass
class ContractSite:
    """The running app, a token for each kind of caller, and the ids of the world's rounds."""

    server: LiveServer
    tokens: dict[str, str]
    organisation_id: int
    rounds: Rounds


@dataclass(frozen=True)
class Rounds:
    """The rounds of the world's scheme beside round 1 (collecting choices, the person in it,
    organisation A's place 1 in it), in the states the other round operations start from."""

    published: int
    published_participant: int
    draft: int
    collecting_places: int
    collecting_place: int


def _world(app: Flask) -> tuple[dict[str, str], int, Rounds]:
    """A matched civil servant with interests at every stage, an organisation's placements and
    a published practice note linked to them (cited by the matches), and rounds in every
    state."""
    world = build_world(db.session)
    complete_profile(db.session, world.person, world.theme_ids, world.skill_ids)
    placements = [
        # Remote, so the engine matches them with the person, who has no postcode.
        open_placement(
            db.session, world, title=f"Housing placement {status.value}", remote_possible=True
        )
        for status in InterestStatus
    ]
    draft(db.session, world, title="Draft youth justice placement")
    open_placement(db.session, world, member=world.admin_b, title="Another force's placement")
    db.session.commit()
    for status, placement in zip(InterestStatus, placements, strict=True):
        interest_in(db.session, world, placement, status)
    published_note(db.session, world, placement_ids=tuple(p.id for p in placements))
    db.session.commit()
    forget_snapshots()
    rebuild_sync(db.session, app.config["MATCHER_SETTINGS"])
    scheme_id = _round_collecting_choices(app, world, placements[0].id)
    others = _other_rounds(app, world, scheme_id, placements[0].id, placements[1].id)
    tokens = {
        "civil_servant": token_for(db.session, world.person),
        "organisation_admin": token_for(db.session, world.admin_a, world.org_a.id),
        "platform_administrator": token_for(db.session, world.platform_admin),
    }
    return tokens, world.org_a.id, others


def _round_collecting_choices(app: Flask, world: World, placement_id: int) -> int:
    """Round 1, collecting choices: organisation A's place in it, and the person in it."""
    admin = world.platform_admin.id
    scheme = schemes.create_scheme(db.session, admin, name="Fast Stream", department_id=None)
    settings = rounds.RoundSettings(name="Spring 2027", max_choices=3)
    round_id = rounds.create_round(db.session, admin, scheme.id, settings).id
    rounds.advance(db.session, admin, round_id, RoundState.COLLECTING_PLACES)
    round_places.offer_place(db.session, world.member_a.id, round_id, placement_id, 1)
    secret = round_participants.make_join_link_secret(db.session, admin, round_id)
    domains = app.config["MATCHER_SETTINGS"].government_email_domains
    round_participants.join_by_link(db.session, world.person.id, secret, government_domains=domains)
    rounds.advance(db.session, admin, round_id, RoundState.COLLECTING_PREFERENCES)
    db.session.commit()
    return scheme.id


def _other_rounds(
    app: Flask, world: World, scheme_id: int, placement_id: int, other_placement_id: int
) -> Rounds:
    """A published round where the person has a place with A, a draft round to move on, and a
    round collecting places with A's other placement in it."""
    admin = world.platform_admin.id
    domains = app.config["MATCHER_SETTINGS"].government_email_domains

    def new(name: str) -> int:
        settings = rounds.RoundSettings(name=name, max_choices=3)
        return rounds.create_round(db.session, admin, scheme_id, settings).id

    published = new("Winter 2026")
    rounds.advance(db.session, admin, published, RoundState.COLLECTING_PLACES)
    place = round_places.offer_place(db.session, world.member_a.id, published, placement_id, 1)
    secret = round_participants.make_join_link_secret(db.session, admin, published)
    joined = round_participants.join_by_link(
        db.session, world.person.id, secret, government_domains=domains
    )
    rounds.advance(db.session, admin, published, RoundState.COLLECTING_PREFERENCES)
    round_participants.set_choices(db.session, world.person.id, published, [place.id])
    rounds.advance(db.session, admin, published, RoundState.ALLOCATING)
    allocate_round(db.session, published, by=None)
    rounds.advance(db.session, admin, published, RoundState.PUBLISHED)
    draft = new("Summer 2027")
    collecting = new("Autumn 2027")
    rounds.advance(db.session, admin, collecting, RoundState.COLLECTING_PLACES)
    collecting_place = round_places.offer_place(
        db.session, world.member_a.id, collecting, other_placement_id, 1
    )
    db.session.commit()
    return Rounds(published, joined.id, draft, collecting, collecting_place.id)


def _round_parameters(site: ContractSite) -> list[dict[str, Any]]:
    """Each round operation's path at a round in the state it starts from: id 1, the boundary
    schemathesis tries first, is round 1, collecting choices."""
    ids = site.rounds
    published = {"path.round_id": ids.published}
    answer = published | {
        "path.organisation_id": site.organisation_id,
        "path.participant_id": ids.published_participant,
    }
    return [
        {
            "include-operation-id": [
                "get_round_statistics",
                "list_round_results",
                "confirm_my_place",
                "decline_my_place",
            ]
        }
        | {"parameters": published},
        {"include-operation-id": ["list_incoming_people"]}
        | {"parameters": published | {"path.organisation_id": site.organisation_id}},
        {"include-operation-id": ["confirm_incoming_person", "decline_incoming_person"]}
        | {"parameters": answer},
        # A draft, which the steps move on one at a time as the test reaches them.
        {
            "include-operation-id": [
                "open_round_for_places",
                "open_round_for_choices",
                "start_allocation",
                "publish_round",
                "close_round",
            ],
            "parameters": {"path.round_id": ids.draft},
        },
        {
            "include-operation-id": ["offer_round_place"],
            "parameters": {"path.round_id": ids.collecting_places},
        },
        {
            "include-operation-id": ["change_round_place", "withdraw_round_place"],
            "parameters": {"path.round_place_id": ids.collecting_place},
        },
    ]


@pytest.fixture(scope="module")
def contract_site(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ContractSite]:
    """The app on PostgreSQL, served on a free loopback port, with its world built."""
    folder = tmp_path_factory.mktemp("contract")
    app = create_app(make_settings(folder, DATABASE_URL=postgres_url))
    # Thousands of requests in a few minutes on one token each: the limit is not under test.
    app.config[API_PER_TOKEN] = "1000000 per minute"
    with app.app_context():
        tokens, organisation_id, world_rounds = _world(app)
        db.session.remove()
    with LiveServer(app) as server:
        yield ContractSite(server, tokens, organisation_id, world_rounds)
    with app.app_context():
        tables = ", ".join(f'"{table.name}"' for table in reversed(db.metadata.sorted_tables))
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture(params=CALLERS)
def contract_schema(request: pytest.FixtureRequest, contract_site: ContractSite):
    """The served document, with requests sent as ``request.param``."""
    config = schemathesis.Config.from_dict(
        CONFIG
        | {
            "base-url": contract_site.server.url,
            "headers": {"Authorization": f"Bearer {contract_site.tokens[request.param]}"},
            "operations": [
                *_round_parameters(contract_site),
                {
                    "include-operation-id": refused_by_role(CALLERS[request.param]),
                    "enabled": False,
                },
            ],
        }
    )
    return schemathesis.openapi.from_url(
        f"{contract_site.server.url}/api/openapi.json", config=config, timeout=10
    )


schema = schemathesis.pytest.from_fixture("contract_schema")


@schema.parametrize()
def test_every_operation_keeps_the_contract(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS, timeout=10)


def test_the_contract_test_sees_every_operation(contract_site: ContractSite):
    served = schemathesis.openapi.from_url(f"{contract_site.server.url}/api/openapi.json")
    labels = {result.ok().label for result in served.get_all_operations()}
    assert "PUT /api/v1/me/profile" in labels
    assert "POST /api/v1/me/interests/{interest_id}:withdraw" in labels
    assert "PUT /api/v1/round-places/{round_place_id}/ranking" in labels
    assert "GET /api/v1/practice-notes" in labels


def test_the_matches_it_reads_cite_a_practice_note(contract_site: ContractSite):
    """So the document's shape of a cited note is checked against a real one."""
    request = urllib.request.Request(
        f"{contract_site.server.url}/api/v1/me/matches",
        headers={"Authorization": f"Bearer {contract_site.tokens['civil_servant']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        items = json.load(response)["items"]
    assert any(item["practice_notes"] for item in items), items


# Each caller's chains: the operations its token may use, so scenarios are not spent on 403s.
CHAINS = {
    "organisation_admin": {"tag": ["Placements", "Candidates"]},
    "civil_servant": {"operation_id_regex": "^(search_placements|get_placement|.*_my_.*)$"},
}


@pytest.mark.parametrize("caller", CHAINS)
def test_chains_of_operations_keep_the_contract(contract_site: ContractSite, caller: str):
    """Follow the links from real answers: the ids and ETags they carry reach real rows.

    schemathesis's own engine runs the stateful phase, as its CLI does: the server keeps what
    each scenario made, so a replay can differ from its first run, which the engine takes for
    the end of that run rather than a failure (Hypothesis's own runner calls it flaky).
    """
    answers: Counter[str] = Counter()
    failures: list[str] = []
    for seed in STATEFUL_SEEDS:
        _follow_links(contract_site, caller, seed, answers, failures)
    print("\n".join(f"{count:5} {answer}" for answer, count in sorted(answers.items())))
    assert not failures, "\n".join(failures[:10])
    assert answers, "no scenario ran"


def _follow_links(
    site: ContractSite, caller: str, seed: int, answers: Counter[str], failures: list[str]
) -> None:
    """One stateful run with ``seed``: the status of every answer, and every failed check."""
    checks = {check.__name__: {"enabled": True} for check in CHECKS}
    config = schemathesis.Config.from_dict(
        CONFIG
        | {
            "seed": seed,
            "base-url": site.server.url,
            "headers": {"Authorization": f"Bearer {site.tokens[caller]}"},
            "request-timeout": 10,
            # The token's own organisation, so chains start from its placements.
            "parameters": {"path.organisation_id": site.organisation_id},
            "checks": {"enabled": False} | checks,
            "generation": CONFIG["generation"] | {"max-examples": STATEFUL_SCENARIOS},
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": False},
                "fuzzing": {"enabled": False},
                "stateful": {"enabled": True, "max-steps": STATEFUL_STEPS},
            },
        }
    )
    served = schemathesis.openapi.from_url(
        f"{site.server.url}/api/openapi.json", config=config, timeout=10
    ).include(**CHAINS[caller])
    for event in schemathesis.engine.from_schema(served).execute():
        if isinstance(event, (events.NonFatalError, events.FatalError)):
            failures.append(repr(event))
        if isinstance(event, events.ScenarioFinished):
            for case_id, interaction in event.recorder.interactions.items():
                if interaction.response is not None:
                    label = event.recorder.cases[case_id].value.operation.label
                    answers[f"{label} {interaction.response.status_code}"] += 1
            for case_id, nodes in event.recorder.checks.items():
                for node in nodes:
                    if node.status == Status.FAILURE:
                        case = event.recorder.cases[case_id].value
                        failures.append(f"{node.name}: {case.operation.label} {case}")
