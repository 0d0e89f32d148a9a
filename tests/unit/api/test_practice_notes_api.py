"""GET /practice-notes: the practice library as open data, filtered as its page filters."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from matcher.extensions import db
from matcher.models import OrganisationKind, PlacementStatus, Theme
from matcher.services import placements as placement_service
from matcher.services import practice_notes as service
from tests.unit.api.conftest import Callers
from tests.unit.services.world import World, note_data, open_placement, published_note

NOTES = "/api/v1/practice-notes"


def _note(world: World, title: str, *, publish: bool = True, **changes: Any) -> int:
    if publish:
        return published_note(db.session, world, title=title, **changes).id
    note = service.create_draft(
        db.session, world.member_a.id, world.org_a.id, note_data(world, title=title, **changes)
    )
    db.session.commit()
    return note.id


def test_published_notes_are_listed_newest_first_with_their_open_placements(
    client: FlaskClient, callers: Callers
):
    world = callers.world
    linked = open_placement(db.session, world)
    closed = open_placement(db.session, world)
    older = _note(world, "Mobile library hubs", placement_ids=(linked.id, closed.id))
    placement_service.close(db.session, world.member_a.id, closed.id)
    newer = _note(world, "Rural crime partnership")
    _note(world, "Unpublished idea", publish=False)
    theme = db.session.get(Theme, world.theme_ids[0])
    assert theme is not None and closed.status == PlacementStatus.CLOSED

    response = client.get(NOTES)

    assert response.status_code == 200
    data = response.get_json()
    assert data["page"] == {"page": 1, "per_page": 20, "total": 2, "pages": 1}
    assert [item["id"] for item in data["items"]] == [newer, older]
    note = data["items"][1]
    assert note["organisation"] == {
        "id": world.org_a.id,
        "name": world.org_a.name,
        "kind": world.org_a.kind.value,
    }
    assert note["evidence_links"] == [
        {"url": "https://www.example.gov.uk/hubs-evaluation", "label": "Evaluation report"}
    ]
    assert note["themes"] == [{"id": theme.id, "slug": theme.slug, "name": theme.name}]
    assert note["open_placement_ids"] == [linked.id]
    assert note["region_code"] == "E12000002"
    assert note["licence"] == "Open Government Licence v3.0"


def test_the_filters_are_the_library_pages(client: FlaskClient, callers: Callers):
    world = callers.world
    hubs = _note(world, "Mobile library hubs")
    other_theme = _note(world, "Neighbourhood care", theme_ids=tuple(world.theme_ids[1:2]))
    theme = db.session.get(Theme, world.theme_ids[0])
    assert theme is not None
    other_kind = next(kind for kind in OrganisationKind if kind != world.org_a.kind)

    def ids(query: str) -> list[int]:
        response = client.get(f"{NOTES}?{query}")
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids("text=mobile+hubs") == [hubs]
    assert ids(f"theme={theme.slug}") == [hubs]
    assert ids("region_code=E12000002") == [other_theme, hubs]
    assert ids("region_code=E12000009") == []
    assert ids("theme=no-such-theme") == []
    assert ids(f"organisation_kind={world.org_a.kind.value}") == [other_theme, hubs]
    assert ids(f"organisation_kind={other_kind.value}") == []
    assert ids("per_page=1&page=2") == [hubs]


def test_a_bad_filter_is_422_not_ignored(client: FlaskClient, callers: Callers):
    for query in ("organisation_kind=pub", "page=0", "per_page=101", "colour=blue"):
        response = client.get(f"{NOTES}?{query}")
        assert response.status_code == 422, query
        assert response.mimetype == "application/problem+json"
