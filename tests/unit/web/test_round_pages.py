"""The allocation round pages, walked through the test client: a manager runs a round, two
organisations offer places and order who chose them, participants rank and read their results.
Also who may open which page: only the scheme's managers run it, an organisation touches only
its own places, a participant sees only their own result."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from matcher.clock import set_now
from matcher.events import ROUND_INVITATION_SENT
from matcher.extensions import db
from matcher.models import (
    AllocationRound,
    Confirmation,
    ConfirmationDecision,
    OutboxEvent,
    RoundParticipant,
    RoundPlace,
    RoundState,
    Scheme,
    SchemeManager,
    utcnow,
)
from matcher.services import round_participants, round_places, rounds, schemes
from matcher.services.allocation_results import answer_as_participant
from matcher.services.allocation_runs import allocate_round
from tests.unit.services.world import World, build_world, civil_servant, open_placement
from tests.unit.web.matches_world import browser_of, confirm_everyone
from tests.web import csrf_token, error_summary, submission_token

FOUND = 200
MOVED = 302


def post(client: FlaskClient, page: str, url: str, data: dict[str, Any] | None = None) -> Any:
    """Press the form at ``url`` on ``page``, with the page's tokens."""
    html = client.get(page).get_data(as_text=True)
    fields: dict[str, Any] = {"csrf_token": csrf_token(html)}
    token = submission_token(html)
    if token:
        fields["submission"] = token
    fields.update(data or {})
    return client.post(url, data=fields)


@pytest.fixture
def world(app: Flask) -> World:
    built = build_world(db.session)
    confirm_everyone()
    return built


def _scheme_with_manager(world: World) -> tuple[Scheme, Any]:
    manager = civil_servant(db.session)
    scheme = Scheme(name="Graduate local placements")
    db.session.add(scheme)
    db.session.flush()
    db.session.add(SchemeManager(scheme_id=scheme.id, user_id=manager.id))
    db.session.commit()
    confirm_everyone()
    return scheme, manager


def _advance(manager: FlaskClient, round_id: int) -> Any:
    step = f"/rounds/{round_id}/next-step"
    page = f"/rounds/{round_id}"
    html = manager.get(page).get_data(as_text=True)
    if f'href="{step}"' in html:
        page = step
    return post(manager, page, step)


def test_a_round_from_creation_to_a_confirmed_place(app: Flask, world: World):
    scheme, manager_user = _scheme_with_manager(world)
    manager = browser_of(app, manager_user)

    listing = manager.get("/schemes").get_data(as_text=True)
    assert scheme.name in listing
    empty = manager.get(f"/schemes/{scheme.id}").get_data(as_text=True)
    assert "This scheme has no rounds yet" in empty

    new = f"/schemes/{scheme.id}/rounds/new"
    refused = post(manager, new, new, {"name": "", "max_choices": "x"})
    assert refused.status_code == 422
    assert error_summary(refused.get_data(as_text=True)) == [
        "Enter a name for the round",
        "Enter how many places each participant can choose",
    ]
    created = post(manager, new, new, {"name": "Spring 2027", "max_choices": "3"})
    assert created.status_code == MOVED
    allocation_round = db.session.query(AllocationRound).one()
    round_id = allocation_round.id
    assert created.location.endswith(f"/rounds/{round_id}")

    assert _advance(manager, round_id).status_code == MOVED  # to collecting places
    joined = post(manager, f"/rounds/{round_id}", f"/rounds/{round_id}/join-link")
    assert joined.status_code == FOUND
    link = re.search(
        r"<code>http://[^/]+(/rounds/join/[^<]+)</code>", joined.get_data(as_text=True)
    )
    assert link, "the join link is shown once"

    placement_a = open_placement(db.session, world, title="Neighbourhood policing analyst")
    placement_b = open_placement(
        db.session, world, member=world.admin_b, title="Road safety partnership officer"
    )
    db.session.commit()
    organisation_a, organisation_b = browser_of(app, world.member_a), browser_of(app, world.admin_b)
    for client, placement in ((organisation_a, placement_a), (organisation_b, placement_b)):
        offer = f"/organisation/rounds/{round_id}/offer"
        offered = post(client, offer, offer, {"placement_id": str(placement.id), "places": "1"})
        assert offered.status_code == MOVED, error_summary(offered.get_data(as_text=True))
    place_a = db.session.query(RoundPlace).filter_by(placement_id=placement_a.id).one()
    place_b = db.session.query(RoundPlace).filter_by(placement_id=placement_b.id).one()
    assert "Road safety" not in organisation_a.get(f"/organisation/rounds/{round_id}").get_data(
        as_text=True
    )

    assert _advance(manager, round_id).status_code == MOVED  # to collecting choices
    recruits = [world.person, world.other_person]
    for recruit in recruits:
        client = browser_of(app, recruit)
        assert post(client, link.group(1), link.group(1)).status_code == MOVED
        choices = f"/rounds/{round_id}/your-choices"
        for place in (place_a, place_b):
            add = f"{choices}/{place.id}/add"
            assert post(client, choices, add).status_code == MOVED
    first = browser_of(app, world.person)
    choices = f"/rounds/{round_id}/your-choices"
    assert post(first, choices, f"{choices}/{place_b.id}/up").status_code == MOVED
    page = first.get(choices).get_data(as_text=True)
    assert page.index("Road safety") < page.index("Neighbourhood policing")

    place_page = f"/organisation/round-places/{place_a.id}"
    people = organisation_a.get(place_page).get_data(as_text=True)
    assert world.person.display_name in people and world.other_person.display_name in people

    assert _advance(manager, round_id).status_code == MOVED  # to allocating
    allocate_round(db.session, round_id, by=None)
    db.session.commit()
    results = manager.get(f"/rounds/{round_id}/results")
    assert results.status_code == FOUND
    assert "<svg" in results.get_data(as_text=True)
    csv = manager.get(f"/rounds/{round_id}/results.csv")
    assert csv.mimetype == "text/csv" and "Placed" in csv.get_data(as_text=True)
    assert _advance(manager, round_id).status_code == MOVED  # to published
    db.session.expire_all()
    assert db.session.get(AllocationRound, round_id).state == RoundState.PUBLISHED

    result = first.get(f"/rounds/{round_id}/your-result").get_data(as_text=True)
    assert "Road safety partnership officer" in result
    confirm = f"/rounds/{round_id}/your-result/confirm"
    assert post(first, f"/rounds/{round_id}/your-result", confirm).status_code == MOVED
    participant = (
        db.session.query(RoundParticipant)
        .filter_by(round_id=round_id, user_id=world.person.id)
        .one()
    )
    coming = f"/organisation/rounds/{round_id}"
    answer = f"/organisation/rounds/{round_id}/people/{participant.id}/confirm"
    assert post(organisation_b, coming, answer).status_code == MOVED
    assert db.session.query(Confirmation).filter_by(participant_id=participant.id).count() == 2
    assert world.person.email in organisation_b.get(coming).get_data(as_text=True)


def test_only_the_schemes_managers_run_it(app: Flask, world: World):
    scheme, _ = _scheme_with_manager(world)
    outsider = browser_of(app, civil_servant(db.session))
    confirm_everyone()
    assert outsider.get(f"/schemes/{scheme.id}").status_code == 403
    assert outsider.get(f"/schemes/{scheme.id}/rounds/new").status_code == 403
    assert "You do not run any" in outsider.get("/schemes").get_data(as_text=True)
    assert browser_of(app, world.member_a).get("/schemes").status_code == 403


def _round_collecting_choices(world: World) -> dict[str, int]:
    """A round collecting choices: organisation A's place, which the world's person chose."""
    admin = world.platform_admin.id
    scheme = schemes.create_scheme(db.session, admin, name="Fast Stream", department_id=None)
    settings = rounds.RoundSettings(name="Spring 2027", max_choices=3)
    round_id = rounds.create_round(db.session, admin, scheme.id, settings).id
    rounds.advance(db.session, admin, round_id, RoundState.COLLECTING_PLACES)
    placement = open_placement(db.session, world)
    place = round_places.offer_place(db.session, world.member_a.id, round_id, placement.id, 1)
    secret = round_participants.make_join_link_secret(db.session, admin, round_id)
    participant = round_participants.join_by_link(
        db.session, world.person.id, secret, government_domains=("gov.uk",)
    )
    rounds.advance(db.session, admin, round_id, RoundState.COLLECTING_PREFERENCES)
    round_participants.set_choices(db.session, world.person.id, round_id, [place.id])
    db.session.commit()
    return {"round": round_id, "place": place.id, "participant": participant.id}


def test_an_organisation_never_touches_another_organisations_place(app: Flask, world: World):
    made = _round_collecting_choices(world)
    other = browser_of(app, world.admin_b)
    place = f"/organisation/round-places/{made['place']}"
    own_page = browser_of(app, world.member_a)
    assert own_page.get(place).status_code == FOUND
    assert other.get(place).status_code == 403
    person = f"{place}/people/{made['participant']}"
    assert other.get(f"{person}/unacceptable").status_code == 403
    rounds_page = f"/organisation/rounds/{made['round']}"
    for url in (f"{place}/engine-order", f"{person}/up", f"{person}/unacceptable"):
        assert post(other, rounds_page, url, {"reason": "No"}).status_code == 403, url
    db.session.expire_all()
    assert db.session.get(RoundPlace, made["place"]).version_id == 1
    assert db.session.query(Confirmation).count() == 0


def test_a_participant_sees_only_their_own_choices_and_result(app: Flask, world: World):
    made = _round_collecting_choices(world)
    outsider = browser_of(app, world.other_person)
    assert outsider.get(f"/rounds/{made['round']}/your-choices").status_code == 404
    assert outsider.get(f"/rounds/{made['round']}/your-result").status_code == 404
    assert outsider.get(f"/rounds/{made['round']}").status_code == 404
    participant = browser_of(app, world.person)
    assert participant.get(f"/rounds/{made['round']}/your-choices").status_code == FOUND
    # In the round, but not running it: the manager's pages and steps are refused.
    assert participant.get(f"/rounds/{made['round']}").status_code == 403
    own = f"/rounds/{made['round']}/your-choices"
    assert post(participant, own, f"/rounds/{made['round']}/next-step").status_code == 403
    db.session.expire_all()
    assert db.session.get(AllocationRound, made["round"]).state == RoundState.COLLECTING_PREFERENCES


def test_an_invited_person_is_emailed_a_link_that_lets_them_join(app: Flask, world: World):
    made = _round_collecting_choices(world)
    manager = browser_of(app, world.platform_admin)
    invite = f"/rounds/{made['round']}/invite"
    invited = post(manager, invite, invite, {"emails": f"{world.other_person.email}\n"})
    assert invited.status_code == MOVED
    participant = (
        db.session.query(RoundParticipant)
        .filter_by(round_id=made["round"], invited_email=world.other_person.email)
        .one()
    )
    event = db.session.query(OutboxEvent).filter_by(task_name=ROUND_INVITATION_SENT).one()
    assert event.payload == {"participant_id": participant.id}

    token = round_participants.invitation_token(participant, secret_key=app.config["SECRET_KEY"])
    page = f"/rounds/invitations/{token}"
    # Only the person the invitation was sent to can use it.
    stranger = browser_of(app, civil_servant(db.session))
    confirm_everyone()
    assert post(stranger, page, page).status_code == MOVED
    db.session.expire_all()
    assert db.session.get(RoundParticipant, participant.id).user_id is None
    joined = post(browser_of(app, world.other_person), page, page)
    assert joined.location.endswith(f"/rounds/{made['round']}/your-choices")
    db.session.expire_all()
    assert db.session.get(RoundParticipant, participant.id).user_id == world.other_person.id


def test_an_administrator_creates_a_scheme_and_appoints_its_manager(app: Flask, world: World):
    admin = browser_of(app, world.platform_admin)
    new = "/schemes/new"
    refused = post(admin, new, new, {"name": "", "department_id": ""})
    assert error_summary(refused.get_data(as_text=True)) == ["Enter a name for the scheme"]
    created = post(admin, new, new, {"name": "Graduate placements", "department_id": ""})
    assert created.status_code == MOVED
    scheme = db.session.query(Scheme).filter_by(name="Graduate placements").one()
    managers = f"/schemes/{scheme.id}/managers"
    unknown = post(admin, managers, managers, {"email": "nobody@example.gov.uk"})
    assert error_summary(unknown.get_data(as_text=True)) == [
        "Enter the email address of a civil servant with an account"
    ]
    assert post(admin, managers, managers, {"email": world.person.email}).status_code == MOVED
    assert db.session.query(SchemeManager).filter_by(scheme_id=scheme.id).count() == 1
    assert browser_of(app, world.person).get("/schemes/new").status_code == 403


@pytest.mark.parametrize("department_id", ["²", "٣", "99999999999999999999", "0", "x"])
def test_a_scheme_for_a_department_not_in_the_list_is_refused_in_words(
    app: Flask, world: World, department_id: str
):
    admin = browser_of(app, world.platform_admin)
    new = "/schemes/new"
    refused = post(admin, new, new, {"name": "Graduate placements", "department_id": department_id})
    assert refused.status_code == 422
    assert error_summary(refused.get_data(as_text=True)) == ["Select a department from the list"]
    # Not made across government either, which is what an empty choice means.
    assert db.session.query(Scheme).filter_by(name="Graduate placements").count() == 0


def test_an_organisation_confirms_before_declining_someone(app: Flask, world: World):
    made = _round_collecting_choices(world)
    admin = world.platform_admin.id
    rounds.advance(db.session, admin, made["round"], RoundState.ALLOCATING)
    allocate_round(db.session, made["round"], by=None)
    rounds.advance(db.session, admin, made["round"], RoundState.PUBLISHED)
    db.session.commit()
    organisation = browser_of(app, world.member_a)
    decline = f"/organisation/rounds/{made['round']}/people/{made['participant']}/decline"
    page = organisation.get(decline).get_data(as_text=True)
    assert f"Are you sure you want to decline {world.person.display_name}?" in page
    assert db.session.query(Confirmation).count() == 0
    assert post(organisation, decline, decline).status_code == MOVED
    assert db.session.query(Confirmation).one().decision.value == "declined"
    # Another organisation cannot answer for someone placed with this one.
    other = browser_of(app, world.admin_b)
    confirm = f"/organisation/rounds/{made['round']}/people/{made['participant']}/confirm"
    rounds_page = f"/organisation/rounds/{made['round']}"
    assert post(other, rounds_page, confirm).status_code == 403


def test_a_participant_leaves_the_round_after_confirming_on_a_page(app: Flask, world: World):
    made = _round_collecting_choices(world)
    choices = f"/rounds/{made['round']}/your-choices"
    leave = f"/rounds/{made['round']}/leave"
    outsider = browser_of(app, world.other_person)
    assert outsider.get(leave).status_code == 404
    participant = browser_of(app, world.person)
    assert f'href="{leave}"' in participant.get(choices).get_data(as_text=True)

    assert participant.get(leave).status_code == FOUND
    db.session.expire_all()
    assert db.session.get(RoundParticipant, made["participant"]).withdrawn_at is None

    answer = post(participant, leave, leave)

    assert answer.status_code == MOVED
    assert answer.location.endswith("/your-rounds")
    db.session.expire_all()
    assert db.session.get(RoundParticipant, made["participant"]).withdrawn_at is not None
    after = participant.get(choices, follow_redirects=True)
    assert after.status_code == FOUND
    assert "You have withdrawn from this round" in after.get_data(as_text=True)
    assert f'href="{leave}"' not in after.get_data(as_text=True)


def test_a_manager_starts_a_second_round_from_a_closed_one(app: Flask, world: World):
    made = _round_collecting_choices(world)
    admin = world.platform_admin.id
    rounds.advance(db.session, admin, made["round"], RoundState.ALLOCATING)
    allocate_round(db.session, made["round"], by=None)
    rounds.advance(db.session, admin, made["round"], RoundState.PUBLISHED)
    answer_as_participant(db.session, world.person.id, made["round"], ConfirmationDecision.DECLINED)
    db.session.commit()
    manager = browser_of(app, world.platform_admin)
    page, second = f"/rounds/{made['round']}", f"/rounds/{made['round']}/second-round"
    # Only a closed round has a second round: before that, the page goes back to the round.
    assert manager.get(second).location.endswith(page)
    rounds.advance(db.session, admin, made["round"], RoundState.CLOSED)
    db.session.commit()
    assert f'href="{second}"' in manager.get(page).get_data(as_text=True)
    assert rounds.left_over(db.session, admin, made["round"])
    assert browser_of(app, world.person).get(second).status_code == 403

    refused = post(manager, second, second, {"name": "", "max_choices": "3"})
    assert refused.status_code == 422
    assert error_summary(refused.get_data(as_text=True)) == ["Enter a name for the round"]
    started = post(
        manager, second, second, {"name": "Spring 2027, second round", "max_choices": "3"}
    )

    assert started.status_code == MOVED
    created = db.session.query(AllocationRound).filter_by(parent_round_id=made["round"]).one()
    assert started.location.endswith(f"/rounds/{created.id}")
    assert created.state == RoundState.DRAFT
    people = db.session.query(RoundParticipant).filter_by(round_id=created.id).all()
    assert [p.user_id for p in people] == [world.person.id]


def test_a_closed_round_with_nothing_left_offers_no_second_round(app: Flask, world: World):
    made = _round_collecting_choices(world)
    admin = world.platform_admin.id
    for state in (RoundState.ALLOCATING, RoundState.PUBLISHED, RoundState.CLOSED):
        rounds.advance(db.session, admin, made["round"], state)
        if state == RoundState.ALLOCATING:
            allocate_round(db.session, made["round"], by=None)
    db.session.commit()
    manager = browser_of(app, world.platform_admin)
    page, second = f"/rounds/{made['round']}", f"/rounds/{made['round']}/second-round"
    assert f'href="{second}"' not in manager.get(page).get_data(as_text=True)

    answer = manager.get(second, follow_redirects=True)

    assert answer.request.path == page
    assert "Every place and person in the round has been confirmed" in answer.get_data(as_text=True)
    assert db.session.query(AllocationRound).count() == 1
    # Nobody answered: closing the round kept the place, for both sides.
    kept = db.session.query(Confirmation).all()
    assert [(c.decision.value, c.by_deadline) for c in kept] == [("confirmed", True)] * 2


def test_both_sides_read_that_an_unanswered_place_is_kept_and_then_that_it_was(
    app: Flask, world: World
):
    made = _round_collecting_choices(world)
    admin = world.platform_admin.id
    deadline = utcnow() + timedelta(days=7)
    rounds.change_settings(
        db.session,
        admin,
        made["round"],
        rounds.RoundSettings("Spring 2027", 3, confirmations_close_at=deadline),
    )
    rounds.advance(db.session, admin, made["round"], RoundState.ALLOCATING)
    allocate_round(db.session, made["round"], by=None)
    rounds.advance(db.session, admin, made["round"], RoundState.PUBLISHED)
    db.session.commit()
    participant, organisation = browser_of(app, world.person), browser_of(app, world.member_a)
    result, coming = f"/rounds/{made['round']}/your-result", f"/organisation/rounds/{made['round']}"

    promised = participant.get(result).get_data(as_text=True)
    told = organisation.get(coming).get_data(as_text=True)
    assert "If you do not answer by then, you keep the place: we record it as confirmed" in promised
    assert "Anyone you have not answered for by then is kept" in told
    assert world.person.email not in told

    set_now(deadline + timedelta(minutes=1))
    assert rounds.close_at_deadline(db.session, made["round"])
    db.session.commit()

    kept = participant.get(result).get_data(as_text=True)
    known = organisation.get(coming).get_data(as_text=True)
    assert "You did not answer before the round closed, so you kept this place" in kept
    assert "The organisation did not answer before the round closed, so it keeps you" in kept
    assert "No answer before the round closed, so you keep them" in known
    assert world.person.email in known


def test_a_manager_changes_a_rounds_settings_unless_a_colleague_changed_them_first(
    app: Flask, world: World
):
    made = _round_collecting_choices(world)
    manager = browser_of(app, world.platform_admin)
    page, settings = f"/rounds/{made['round']}", f"/rounds/{made['round']}/settings"
    assert f'href="{settings}"' in manager.get(page).get_data(as_text=True)
    assert browser_of(app, world.person).get(settings).status_code == 403
    version = db.session.get(AllocationRound, made["round"]).version_id
    form = manager.get(settings).get_data(as_text=True)
    assert 'name="name" type="text" value="Spring 2027"' in form
    assert f'name="expected_version" value="{version}"' in form
    html = manager.get(settings).get_data(as_text=True)
    fields = {"csrf_token": csrf_token(html), "submission": submission_token(html)}

    refused = post(manager, settings, settings, {"name": "", "max_choices": "0"})
    stale = manager.post(
        settings,
        data={**fields, "name": "Renamed", "max_choices": "4", "expected_version": version - 1},
    )
    saved = post(
        manager,
        settings,
        settings,
        {
            "name": "Spring 2027 graduates",
            "max_choices": "5",
            "confirmations_close_on-day": "8",
            "confirmations_close_on-month": "1",
            "confirmations_close_on-year": "2027",
        },
    )

    assert refused.status_code == 422
    assert error_summary(refused.get_data(as_text=True)) == [
        "Enter a name for the round",
        "Each participant can choose between 1 and 50 places",
    ]
    assert stale.status_code == 409
    assert "Someone else changed this round" in stale.get_data(as_text=True)
    assert saved.status_code == MOVED, error_summary(saved.get_data(as_text=True))
    db.session.expire_all()
    changed = db.session.get(AllocationRound, made["round"])
    assert (changed.name, changed.max_choices) == ("Spring 2027 graduates", 5)
    assert changed.confirmations_close_at is not None
    again = manager.get(settings).get_data(as_text=True)
    assert 'name="confirmations_close_on-day" type="text" value="8"' in again
    assert 'name="confirmations_close_on-year" type="text" value="2027"' in again

    rounds.advance(db.session, world.platform_admin.id, made["round"], RoundState.ALLOCATING)
    db.session.commit()
    assert f'href="{settings}"' not in manager.get(page).get_data(as_text=True)
    assert manager.get(settings).location.endswith(page)


def test_an_organisation_clears_a_mark_and_withdraws_its_place_after_confirming(
    app: Flask, world: World
):
    made = _round_collecting_choices(world)
    round_places.mark_unacceptable(
        db.session, world.member_a.id, made["place"], made["participant"], "Needs a licence"
    )
    db.session.commit()
    organisation, other = browser_of(app, world.member_a), browser_of(app, world.admin_b)
    place = f"/organisation/round-places/{made['place']}"
    clear = f"{place}/people/{made['participant']}/acceptable"
    withdraw = f"{place}/withdraw"
    html = organisation.get(place).get_data(as_text=True)
    assert f'action="{clear}"' in html and f'href="{withdraw}"' in html

    assert post(other, f"/organisation/rounds/{made['round']}", clear).status_code == 403
    assert post(organisation, place, clear).status_code == MOVED
    assert "Marked unacceptable" not in organisation.get(place).get_data(as_text=True)

    assert other.get(withdraw).status_code == 403
    asked = organisation.get(withdraw).get_data(as_text=True)
    assert "Are you sure you want to withdraw" in asked
    assert "1 person has chosen this place" in asked
    assert db.session.query(RoundPlace).count() == 1
    withdrawn = post(organisation, withdraw, withdraw)

    assert withdrawn.status_code == MOVED
    assert withdrawn.location.endswith(f"/organisation/rounds/{made['round']}")
    assert db.session.query(RoundPlace).count() == 0
    choices = browser_of(app, world.person).get(f"/rounds/{made['round']}/your-choices")
    assert choices.status_code == FOUND


def test_a_manager_invites_a_cohort_from_a_csv_file_and_a_bad_row_saves_nothing(
    app: Flask, world: World
):
    made = _round_collecting_choices(world)
    manager = browser_of(app, world.platform_admin)
    invite, upload = f"/rounds/{made['round']}/invite", f"/rounds/{made['round']}/invite/file"
    assert f'href="{upload}"' in manager.get(invite).get_data(as_text=True)
    assert browser_of(app, world.person).get(upload).status_code == 403
    page = manager.get(upload).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    sample = manager.get("/rounds/invite-sample.csv")
    assert sample.mimetype == "text/csv"

    def send(content: bytes) -> Any:
        file = (io.BytesIO(content), "cohort.csv")
        return post(manager, upload, upload, {"file": file})

    nothing = post(manager, upload, upload)
    bad_rows = send(
        b"name,email\r\nAda,ada@cabinetoffice.gov.uk\r\nBob,bob@gmail.com\r\nCy,not-an-address\r\n"
        b"Ada again,ada@cabinetoffice.gov.uk\r\n"
    )
    no_column = send(b"name\r\nAda\r\n")
    not_text = send("email\r\nzoë@cabinetoffice.gov.uk\r\n".encode("utf-16"))
    invited_before = db.session.query(RoundParticipant).filter_by(round_id=made["round"]).count()
    sent = send(sample.get_data())

    assert error_summary(nothing.get_data(as_text=True)) == ["Select a CSV file of email addresses"]
    assert bad_rows.status_code == 422
    html = bad_rows.get_data(as_text=True)
    assert error_summary(html) == [
        "3 rows of the file cannot be invited, so nobody has been: correct the file and upload "
        "it again"
    ]
    assert re.search(
        r'<th scope="row" class="govuk-table__header">3</th>\s*<td[^>]*>[^<]*gov', html
    )
    assert '<th scope="row" class="govuk-table__header">4</th>' in html
    assert "This email address is also on row 2" in html
    assert error_summary(no_column.get_data(as_text=True)) == [
        "The first row must name a column called email"
    ]
    assert error_summary(not_text.get_data(as_text=True)) == [
        "The file must be a CSV file saved as UTF-8 text"
    ]
    assert invited_before == 1
    assert sent.status_code == MOVED, error_summary(sent.get_data(as_text=True))
    invited = db.session.query(RoundParticipant.invited_email).filter_by(round_id=made["round"])
    assert {email for (email,) in invited} >= {
        "ada.lovelace@cabinetoffice.gov.uk",
        "alan.turing@dwp.gov.uk",
    }
