"""Practice note pages: writing, publishing, withdrawing, the library, the public page, the
administrator's unpublish page, following themes, and a placement's link to its notes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import (
    CivilServantProfile,
    MembershipRole,
    PracticeNote,
    PracticeNoteStatus,
    Role,
    Theme,
    User,
    utcnow,
)
from matcher.services import placements
from matcher.services import practice_notes as service
from matcher.services.practice_notes import NoteData
from tests import builders
from tests.unit.services.world import World, published_note, valid_data, verified_organisation
from tests.unit.web.matches_world import stored_match
from tests.web import confirmed_user, error_summary, sign_in, submit


@pytest.fixture
def world(site: Flask) -> World:
    """Organisations A and B, their members, two civil servants and a platform admin."""
    org_a = verified_organisation(db.session, email_domain="a-council.example.gov.uk")
    org_b = verified_organisation(db.session, email_domain="b-council.example.gov.uk")
    member = Role.ORGANISATION_MEMBER
    admin_a = confirmed_user(member, email="admin@a-council.example.gov.uk")
    member_a = confirmed_user(member, email="member@a-council.example.gov.uk")
    admin_b = confirmed_user(member, email="admin@b-council.example.gov.uk")
    builders.membership(db.session, admin_a, org_a, MembershipRole.ADMIN)
    builders.membership(db.session, member_a, org_a)
    builders.membership(db.session, admin_b, org_b, MembershipRole.ADMIN)
    built = World(
        platform_admin=confirmed_user(Role.ADMINISTRATOR),
        org_a=org_a,
        admin_a=admin_a,
        member_a=member_a,
        org_b=org_b,
        admin_b=admin_b,
        person=confirmed_user(Role.CIVIL_SERVANT),
        other_person=confirmed_user(Role.CIVIL_SERVANT),
        theme_ids=list(db.session.scalars(select(Theme.id).order_by(Theme.id).limit(2))),
        skill_ids=[],
    )
    db.session.commit()
    return built


def client_for(site: Flask, user: User | None) -> FlaskClient:
    client = site.test_client()
    if user is not None:
        assert sign_in(client, user.email).status_code == 302
    return client


def answers(world: World, **changes: Any) -> dict[str, Any]:
    """A complete note form as posted."""
    values: dict[str, Any] = {
        "title": "Mobile library hubs",
        "problem": "Villages lost their banks and bus routes.",
        "what_changed": "Library vans carry council and NHS advice desks.",
        "evidence": "Visits doubled in a year.",
        "link_1_url": "https://www.example.gov.uk/evaluation",
        "link_1_label": "Evaluation report",
        "theme_ids": [str(world.theme_ids[0])],
        "region_code": "E12000002",
        "contact_user_id": str(world.member_a.id),
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def test_a_member_writes_publishes_and_withdraws_a_note_found_in_the_library(
    site: Flask, world: World
):
    client = client_for(site, world.member_a)
    assert "Write a practice note" in text(client.get("/organisation/practice-notes"))

    saved = submit(client, "/organisation/practice-notes/new", answers(world))
    assert saved.status_code == 302
    note = db.session.scalar(select(PracticeNote))
    assert note is not None and note.status == PracticeNoteStatus.DRAFT
    assert note.evidence_links == [
        {"url": "https://www.example.gov.uk/evaluation", "label": "Evaluation report"}
    ]
    anonymous = site.test_client()
    assert anonymous.get(f"/practice/{note.id}").status_code == 404
    assert "No practice notes have been published yet" in text(anonymous.get("/practice"))

    confirm = text(client.get(f"/organisation/practice-notes/{note.id}/publish"))
    assert "Publish this practice note?" in confirm
    assert submit(client, f"/organisation/practice-notes/{note.id}/publish", {}).status_code == 302

    page = text(anonymous.get(f"/practice/{note.id}"))
    assert "Mobile library hubs" in page and "Open Government Licence v3.0" in page
    assert "open-government-licence/version/3/" in page
    assert 'href="https://www.example.gov.uk/evaluation"' in page
    found = text(anonymous.get("/practice?text=library+vans&region=E12000002"))
    assert f'href="/practice/{note.id}"' in found and "1 practice note" in found
    assert "No practice notes match your search" in text(anonymous.get("/practice?text=zebra"))

    withdraw = client.get(f"/organisation/practice-notes/{note.id}/withdraw")
    assert "Withdraw this practice note?" in text(withdraw) and "cannot undo" in text(withdraw)
    db.session.expire_all()
    assert db.session.get(PracticeNote, note.id).status == PracticeNoteStatus.PUBLISHED
    submit(client, f"/organisation/practice-notes/{note.id}/withdraw", {})
    db.session.expire_all()
    assert db.session.get(PracticeNote, note.id).status == PracticeNoteStatus.WITHDRAWN
    assert anonymous.get(f"/practice/{note.id}").status_code == 404


def test_form_errors_are_summarised_and_nothing_is_saved(site: Flask, world: World):
    client = client_for(site, world.member_a)
    response = submit(
        client,
        "/organisation/practice-notes/new",
        answers(world, title="", link_1_url="ftp://example.gov.uk/x", contact_user_id="else"),
    )
    assert response.status_code == 422
    assert error_summary(text(response)) == [
        "Enter a title",
        "Enter a web address starting with https:// or http://, like https://www.example.gov.uk",
    ]
    assert db.session.scalar(select(PracticeNote)) is None
    # Publishing an incomplete draft says what is missing.
    note = service.create_draft(db.session, world.member_a.id, world.org_a.id, NoteData(title="X"))
    db.session.commit()
    refused = submit(client, f"/organisation/practice-notes/{note.id}/publish", {})
    assert refused.status_code == 409 and "Enter what changed" in text(refused)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"contact_user_id": "²"}, "Select a member of your organisation"),
        ({"contact_user_id": "99999999999999999999"}, "Select a member of your organisation"),
        ({"theme_ids": ["99999999999999999999"]}, "Select themes from the list"),
        ({"placement_ids": ["99999999999999999999"]}, "Select placements your organisation offers"),
    ],
)
def test_a_choice_not_in_the_list_is_refused_in_words(
    site: Flask, world: World, changes: dict[str, Any], expected: str
):
    client = client_for(site, world.member_a)
    response = submit(client, "/organisation/practice-notes/new", answers(world, **changes))
    assert response.status_code == 422
    assert error_summary(text(response)) == [expected]
    assert db.session.scalar(select(PracticeNote)) is None


def test_another_organisation_and_other_roles_cannot_reach_a_note(site: Flask, world: World):
    draft = service.create_draft(db.session, world.member_a.id, world.org_a.id, NoteData(title="D"))
    db.session.commit()
    note = published_note(db.session, world)
    other = client_for(site, world.admin_b)
    assert other.get(f"/organisation/practice-notes/{draft.id}").status_code == 404
    assert other.get(f"/organisation/practice-notes/{note.id}").status_code == 403
    assert other.get(f"/organisation/practice-notes/{note.id}/edit").status_code == 403
    assert submit(
        other, f"/organisation/practice-notes/{note.id}/withdraw", {}, page="/practice"
    ).status_code in (400, 403)
    person = client_for(site, world.person)
    assert person.get("/organisation/practice-notes").status_code == 403
    assert person.get(f"/admin/practice-notes/{note.id}/unpublish").status_code == 403
    db.session.expire_all()
    assert db.session.get(PracticeNote, note.id).status == PracticeNoteStatus.PUBLISHED


def test_an_edit_made_against_an_old_version_is_refused(site: Flask, world: World):
    note = published_note(db.session, world)
    client = client_for(site, world.member_a)
    page = f"/organisation/practice-notes/{note.id}/edit"
    stale = answers(world, title="Renamed", expected_version=str(note.version_id))
    service.update_note(
        db.session, world.admin_a.id, note.id, replace(service.note_data(note), title="Other")
    )
    db.session.commit()
    response = submit(client, page, stale)
    assert response.status_code == 409 and "Someone else changed this practice note" in text(
        response
    )


def test_an_administrator_unpublishes_a_note_with_a_reason(site: Flask, world: World):
    note = published_note(db.session, world)
    admin = client_for(site, world.platform_admin)
    assert "Unpublish this note" in text(admin.get(f"/practice/{note.id}"))
    url = f"/admin/practice-notes/{note.id}/unpublish"
    empty = submit(admin, url, {"reason": ""})
    assert empty.status_code == 422
    assert error_summary(text(empty)) == ["Enter why the note is being unpublished"]
    assert submit(admin, url, {"reason": "It names a resident"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(PracticeNote, note.id).status == PracticeNoteStatus.UNPUBLISHED
    manage = text(client_for(site, world.member_a).get(f"/organisation/practice-notes/{note.id}"))
    assert "It names a resident" in manage


def test_a_placement_page_links_the_published_notes_it_relates_to(site: Flask, world: World):
    placement = placements.create_draft(
        db.session, world.member_a.id, world.org_a.id, valid_data(world)
    )
    placements.publish(db.session, world.member_a.id, placement.id)
    db.session.commit()
    note = published_note(db.session, world, placement_ids=(placement.id,))
    page = text(site.test_client().get(f"/placements/{placement.id}"))
    assert f'href="/practice/{note.id}"' in page and "Practice you would work alongside" in page
    back = text(site.test_client().get(f"/practice/{note.id}"))
    assert f'href="/placements/{placement.id}"' in back


def test_a_civil_servant_follows_themes(site: Flask, world: World):
    client = client_for(site, world.person)
    assert 'href="/practice/follow"' in text(client.get("/digest/preferences"))
    page = text(client.get("/practice/follow"))
    assert "Themes you follow" in page and "Which themes do you want to hear about?" in page
    saved = submit(client, "/practice/follow", {"theme_ids": [str(world.theme_ids[1])]})
    assert saved.status_code == 302
    assert service.followed_theme_ids(db.session, world.person.id) == [world.theme_ids[1]]
    refused = submit(client, "/practice/follow", {"theme_ids": ["x"]})
    assert refused.status_code == 422
    assert client_for(site, world.member_a).get("/practice/follow").status_code == 403


@pytest.mark.parametrize("theme_id", ["99999999999999999999", "²", "٣", "0"])
def test_a_theme_not_in_the_list_is_refused_in_words_and_the_followed_ones_kept(
    site: Flask, world: World, theme_id: str
):
    client = client_for(site, world.person)
    service.follow_themes(db.session, world.person.id, [world.theme_ids[0]])
    db.session.commit()
    chosen = [str(world.theme_ids[1]), theme_id]
    refused = submit(client, "/practice/follow", {"theme_ids": chosen})
    assert refused.status_code == 422
    assert error_summary(text(refused)) == ["Select themes from the list"]
    assert service.followed_theme_ids(db.session, world.person.id) == [world.theme_ids[0]]


def test_a_match_card_cites_the_published_note_of_its_placement(site: Flask, world: World):
    placement = placements.create_draft(
        db.session, world.member_a.id, world.org_a.id, valid_data(world)
    )
    placements.publish(db.session, world.member_a.id, placement.id)
    db.session.add(CivilServantProfile(user_id=world.person.id, completed_at=utcnow()))
    stored_match(world, world.person, placement, 1)
    draft = service.create_draft(
        db.session,
        world.member_a.id,
        world.org_a.id,
        NoteData(title="Unpublished idea", placement_ids=(placement.id,)),
    )
    db.session.commit()
    page = text(client_for(site, world.person).get("/matches"))
    assert "Work alongside" not in page
    note = published_note(db.session, world, placement_ids=(placement.id,))
    page = text(client_for(site, world.person).get("/matches"))
    expected = f"Work alongside {world.org_a.name}&#39;s Mobile library hubs"
    assert f'<a class="govuk-link" href="/practice/{note.id}">{expected}</a>' in page
    assert draft.title not in page
