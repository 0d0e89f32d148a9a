"""An organisation's CSV of its places in every round: each place, its round and size, and who
is coming once results are published, their address only once both sides confirmed; never
another organisation's."""

from __future__ import annotations

import csv
import io

from flask import Flask
from flask.testing import FlaskClient

from matcher.extensions import db
from matcher.models import ConfirmationDecision, RoundPlace, RoundState
from matcher.services import round_participants, round_places, rounds, schemes
from matcher.services.allocation_results import answer_as_organisation, answer_as_participant
from matcher.services.allocation_runs import allocate_round
from tests.unit.services.world import World, build_world, open_placement
from tests.unit.web.matches_world import browser_of, confirm_everyone

DOWNLOAD = "/organisation/rounds/places.csv"


def _rows(client: FlaskClient) -> list[list[str]]:
    response = client.get(DOWNLOAD)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _rounds(world: World) -> None:
    """A published round where the person was placed with A and both confirmed; a round
    collecting places with A's place and B's; and a draft second round holding A's place."""
    admin = world.platform_admin.id
    scheme = schemes.create_scheme(db.session, admin, name="Fast Stream", department_id=None)
    mine = open_placement(db.session, world, title="Neighbourhood policing analyst")
    theirs = open_placement(db.session, world, member=world.admin_b, title="Road safety officer")

    def new(name: str) -> int:
        settings = rounds.RoundSettings(name=name, max_choices=3)
        round_id = rounds.create_round(db.session, admin, scheme.id, settings).id
        if name != "Draft round":
            rounds.advance(db.session, admin, round_id, RoundState.COLLECTING_PLACES)
        return round_id

    published = new("Spring 2027")
    place = round_places.offer_place(db.session, world.member_a.id, published, mine.id, 1)
    secret = round_participants.make_join_link_secret(db.session, admin, published)
    joined = round_participants.join_by_link(
        db.session, world.person.id, secret, government_domains=("gov.uk",)
    )
    rounds.advance(db.session, admin, published, RoundState.COLLECTING_PREFERENCES)
    round_participants.set_choices(db.session, world.person.id, published, [place.id])
    rounds.advance(db.session, admin, published, RoundState.ALLOCATING)
    allocate_round(db.session, published, by=None)
    rounds.advance(db.session, admin, published, RoundState.PUBLISHED)
    answer_as_participant(db.session, world.person.id, published, ConfirmationDecision.CONFIRMED)
    answer_as_organisation(db.session, world.admin_a.id, joined.id, ConfirmationDecision.CONFIRMED)
    collecting = new("Autumn 2027")
    round_places.offer_place(db.session, world.member_a.id, collecting, mine.id, 1)
    round_places.offer_place(db.session, world.admin_b.id, collecting, theirs.id, 1)
    draft = new("Draft round")
    db.session.add(RoundPlace(round_id=draft, placement_id=mine.id, places=1))
    db.session.commit()


def test_an_organisation_downloads_its_own_places_and_who_is_coming(app: Flask):
    world = build_world(db.session)
    _rounds(world)
    confirm_everyone()

    rows = _rows(browser_of(app, world.member_a))
    page = browser_of(app, world.member_a).get("/organisation/rounds").get_data(as_text=True)
    theirs = _rows(browser_of(app, world.admin_b))
    person = browser_of(app, world.person).get(DOWNLOAD)

    assert f'href="{DOWNLOAD}"' in page
    assert rows == [
        [
            "Round",
            "Scheme",
            "Round is",
            "Placement",
            "Places",
            "Placed person",
            "Their answer",
            "Your answer",
            "Email",
        ],
        [
            "Autumn 2027",
            "Fast Stream",
            "collecting places",
            "Neighbourhood policing analyst",
            "1",
            "",
            "",
            "",
            "",
        ],
        [
            "Spring 2027",
            "Fast Stream",
            "published",
            "Neighbourhood policing analyst",
            "1",
            world.person.display_name,
            "confirmed",
            "confirmed",
            world.person.email,
        ],
    ]
    assert [row[3] for row in theirs[1:]] == ["Road safety officer"]
    assert world.person.email not in {cell for row in theirs for cell in row}
    assert person.status_code == 403
