"""The API keeps its OpenAPI contract, over real HTTP, on PostgreSQL, for every kind of caller.

schemathesis reads the document the running app serves and, for every operation in it, sends
the document's examples, boundary and missing-value cases (coverage) and generated requests
(fuzzing), valid and deliberately invalid. Every response must be no server error, have a
documented status, content type, headers and body, and invalid requests must be refused.
New operations are covered as soon as they are in the document.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from flask import Flask
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from matcher import create_app
from matcher.extensions import db
from matcher.matchmaking.rebuild import rebuild_sync
from matcher.matchmaking.snapshot import forget_snapshots
from matcher.models import InterestStatus
from matcher.web.ratelimit import API_PER_TOKEN
from tests.api import complete_profile, token_for
from tests.conftest import make_settings
from tests.live import LiveServer
from tests.unit.services.world import build_world, draft, interest_in, open_placement

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
CALLERS = ("civil_servant", "organisation_admin", "platform_administrator")


@dataclass
class ContractSite:
    """The running app and a token for each kind of caller."""

    server: LiveServer
    tokens: dict[str, str]


def _world(app: Flask) -> dict[str, str]:
    """A matched civil servant with interests at every stage, an organisation's placements."""
    world = build_world(db.session)
    complete_profile(db.session, world.person, world.theme_ids, world.skill_ids)
    placements = [
        open_placement(db.session, world, title=f"Housing placement {status.value}")
        for status in InterestStatus
    ]
    draft(db.session, world, title="Draft youth justice placement")
    open_placement(db.session, world, member=world.admin_b, title="Another force's placement")
    db.session.commit()
    for status, placement in zip(InterestStatus, placements, strict=True):
        interest_in(db.session, world, placement, status)
    db.session.commit()
    forget_snapshots()
    rebuild_sync(db.session, app.config["MATCHER_SETTINGS"])
    return {
        "civil_servant": token_for(db.session, world.person),
        "organisation_admin": token_for(db.session, world.admin_a, world.org_a.id),
        "platform_administrator": token_for(db.session, world.platform_admin),
    }


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
        tokens = _world(app)
        db.session.remove()
    with LiveServer(app) as server:
        yield ContractSite(server, tokens)
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
