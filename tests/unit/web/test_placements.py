"""Placement pages: posting, editing, status changes, the authorisation matrix and search."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import FormDraft, MembershipRole, Placement, PlacementStatus, Role, Theme, User
from matcher.services import drafts
from matcher.services import placements as service
from tests import builders
from tests.conftest import TODAY
from tests.unit.services.world import World, valid_data, verified_organisation
from tests.web import confirmed_user, error_summary, inline_errors, sign_in, submit


@pytest.fixture
def world(site: Flask) -> World:
    """Organisations A and B, their members, people and a platform admin, who can sign in."""
    org_a = verified_organisation(db.session, email_domain="a-police.example.gov.uk")
    org_b = verified_organisation(db.session, email_domain="b-police.example.gov.uk")
    member = Role.ORGANISATION_MEMBER
    admin_a = confirmed_user(member, email="admin@a-police.example.gov.uk")
    member_a = confirmed_user(member, email="member@a-police.example.gov.uk")
    admin_b = confirmed_user(member, email="admin@b-police.example.gov.uk")
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


def _date(prefix: str, value: Any) -> dict[str, str]:
    return {
        f"{prefix}-day": str(value.day),
        f"{prefix}-month": str(value.month),
        f"{prefix}-year": str(value.year),
    }


def answers(world: World, **changes: Any) -> dict[str, Any]:
    """A valid placement form as posted."""
    today = london_today()
    values: dict[str, Any] = {
        "title": "Rural transport secondment",
        "summary": "Help a county council redesign its buses.",
        "description": "Six months with the transport team.",
        "kind": "secondment",
        "theme_ids": [str(world.theme_ids[0])],
        "grade_min": "EO",
        "grade_max": "G7",
        "location_postcode": "LS1 1UR",
        **_date("closing_date", today + timedelta(days=30)),
        **_date("start_date", today + timedelta(days=60)),
        "duration_weeks": "26",
        "hours": "full_time",
        "capacity": "1",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def client_for(site: Flask, user: User | None) -> FlaskClient:
    client = site.test_client()
    if user is not None:
        assert sign_in(client, user.email).status_code == 302
    return client


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Placement)) or 0


def _draft(world: World, member: User | None = None, **changes: Any) -> Placement:
    member = member or world.member_a
    organisation = world.org_b if member is world.admin_b else world.org_a
    placement = service.create_draft(
        db.session, member.id, organisation.id, valid_data(world, **changes)
    )
    db.session.commit()
    return placement


def _open(world: World, member: User | None = None, **changes: Any) -> Placement:
    placement = _draft(world, member, **changes)
    service.publish(db.session, (member or world.member_a).id, placement.id)
    db.session.commit()
    return placement


def test_a_member_posts_a_draft_through_check_answers_and_publishes_it(site: Flask, world: World):
    client = client_for(site, world.member_a)

    response = submit(client, "/organisation/placements/new", answers(world))
    assert response.status_code == 302
    assert response.headers["Location"] == "/organisation/placements/new/check"
    check = client.get("/organisation/placements/new/check").get_data(as_text=True)
    assert "Check your answers" in check and "Rural transport secondment" in check
    assert _count() == 0

    saved = submit(client, "/organisation/placements/new/check", {})
    assert saved.status_code == 302
    placement = db.session.scalar(select(Placement))
    assert placement.status == PlacementStatus.DRAFT
    manage = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Your placement has been saved as a draft" in manage
    assert client.get(f"/placements/{placement.id}").status_code == 200  # the preview

    published = submit(client, f"/organisation/placements/{placement.id}/publish", {})
    assert published.status_code == 302
    db.session.expire_all()
    assert db.session.get(Placement, placement.id).status == PlacementStatus.OPEN
    public = site.test_client().get(f"/placements/{placement.id}")
    assert public.status_code == 200
    assert "Rural transport secondment" in public.get_data(as_text=True)


def test_saving_twice_creates_one_draft(site: Flask, world: World):
    client = client_for(site, world.member_a)
    submit(client, "/organisation/placements/new", answers(world))
    html = client.get("/organisation/placements/new/check").get_data(as_text=True)
    from tests.web import _SUBMISSION, csrf_token

    tokens = {"csrf_token": csrf_token(html), "submission": _SUBMISSION.search(html).group(1)}
    kept = drafts.load(db.session, world.member_a.id, drafts.PLACEMENT)
    first = client.post("/organisation/placements/new/check", data=tokens)
    # A racing second click arrives before the first one's answer: the draft is still there.
    drafts.keep(db.session, world.member_a.id, drafts.PLACEMENT, kept)
    db.session.commit()
    second = client.post("/organisation/placements/new/check", data=tokens)
    assert first.status_code == 302 and second.status_code == 302
    assert _count() == 1


BAD_INPUT = [
    ({"title": ""}, "Enter a title"),
    ({"title": "x" * 151}, "Title must be 150 characters or fewer"),
    ({"summary": ""}, "Enter a summary"),
    ({"summary": "x" * 301}, "Summary must be 300 characters or fewer"),
    ({"description": ""}, "Enter a description"),
    ({"kind": None}, "Select the kind of placement"),
    ({"kind": "holiday"}, "Select the kind of placement"),
    ({"theme_ids": None}, "Select at least one policy theme"),
    ({"theme_ids": ["999999"]}, "Select themes from the list"),
    ({"theme_ids": ["99999999999999999999"]}, "Select themes from the list"),
    ({"theme_ids": ["²"]}, "Select themes from the list"),
    ({"skill_ids": ["999999"]}, "Select skills from the list"),
    ({"skill_ids": ["99999999999999999999"]}, "Select skills from the list"),
    ({"grade_min": ""}, "Select a minimum grade"),
    ({"grade_max": "ZZ"}, "Select a maximum grade"),
    (
        {"grade_min": "G7", "grade_max": "EO"},
        "Minimum grade must be the same as or lower than maximum grade",
    ),
    ({"location_postcode": ""}, "Enter a postcode, or say the placement can be done remotely"),
    ({"location_postcode": "not a postcode"}, "Enter a real UK postcode, like SW1A 2AA"),
    (
        {"closing_date-day": "", "closing_date-month": "", "closing_date-year": ""},
        "Enter a closing date",
    ),
    ({"closing_date-day": "31", "closing_date-month": "2"}, "The closing date must be a real date"),
    ({"closing_date-month": ""}, "The closing date must include a month"),
    ({**_date("closing_date", TODAY)}, "Closing date must be in the future"),
    (
        {**_date("start_date", TODAY + timedelta(days=10))},
        "Start date must be after the closing date",
    ),
    ({"start_date-year": "27"}, "Year must include 4 numbers"),
    ({"duration_weeks": ""}, "Enter how many weeks the placement lasts"),
    ({"duration_weeks": "six"}, "How many weeks must be a whole number, like 26"),
    ({"duration_weeks": "0"}, "Duration must be between 1 and 260 weeks"),
    ({"duration_weeks": "261"}, "Duration must be between 1 and 260 weeks"),
    ({"hours": "weekends"}, "Select the hours"),
    ({"capacity": ""}, "Enter how many people the placement is for"),
    ({"capacity": "0"}, "Capacity must be between 1 and 100"),
    ({"capacity": "1.5"}, "How many people must be a whole number, like 1"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_INPUT)
def test_bad_placement_input_is_explained_and_nothing_is_saved(
    site: Flask, world: World, changes: dict[str, Any], message: str
):
    client = client_for(site, world.member_a)
    response = submit(client, "/organisation/placements/new", answers(world, **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in error_summary(html)
    assert message in inline_errors(html)
    assert "<title>Error: " in html
    assert drafts.load(db.session, world.member_a.id, drafts.PLACEMENT) is None
    assert _count() == 0


def test_bad_input_on_edit_is_explained_and_nothing_changes(site: Flask, world: World):
    placement = _draft(world)
    client = client_for(site, world.member_a)
    url = f"/organisation/placements/{placement.id}/edit"
    response = submit(client, url, answers(world, title="", expected_version="1"))
    assert response.status_code == 422
    assert "Enter a title" in error_summary(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Placement, placement.id).title == "Rural transport secondment"


def test_an_edit_is_saved_with_the_version_seen(site: Flask, world: World):
    placement = _draft(world)
    client = client_for(site, world.member_a)
    url = f"/organisation/placements/{placement.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'name="expected_version" value="1"' in form
    assert 'value="Rural transport secondment"' in form
    response = submit(client, url, answers(world, title="Buses", expected_version="1"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Placement, placement.id).title == "Buses"


def test_an_edit_against_an_old_version_shows_the_someone_else_page(site: Flask, world: World):
    placement = _draft(world)
    client = client_for(site, world.member_a)
    url = f"/organisation/placements/{placement.id}/edit"
    html = client.get(url).get_data(as_text=True)
    # A colleague saves a change after this member opened the page.
    submit(
        client_for(site, world.admin_a), url, answers(world, title="Theirs", expected_version="1")
    )
    from tests.web import csrf_token

    response = client.post(
        url,
        data={"csrf_token": csrf_token(html), **answers(world, title="Mine", expected_version="1")},
    )
    assert response.status_code == 409
    assert "Someone else changed this placement" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Placement, placement.id).title == "Theirs"


def test_publishing_waits_for_verification(site: Flask, world: World):
    proposed = builders.organisation(db.session, email_domain="c.example.gov.uk")
    member = confirmed_user(Role.ORGANISATION_MEMBER, email="m@c.example.gov.uk")
    builders.membership(db.session, member, proposed, MembershipRole.ADMIN)
    placement = service.create_draft(db.session, member.id, proposed.id, valid_data(world))
    db.session.commit()
    client = client_for(site, member)
    page = client.get(f"/organisation/placements/{placement.id}/publish")
    assert "has not been verified yet" in page.get_data(as_text=True)
    response = submit(client, f"/organisation/placements/{placement.id}/publish", {})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Placement, placement.id).status == PlacementStatus.DRAFT


@pytest.mark.parametrize(
    ("change", "start", "end"),
    [
        ("close", "open", PlacementStatus.CLOSED),
        ("mark-filled", "open", PlacementStatus.FILLED),
        ("withdraw", "open", PlacementStatus.WITHDRAWN),
        ("reopen", "closed", PlacementStatus.OPEN),
        ("publish", "draft", PlacementStatus.OPEN),
    ],
)
def test_each_status_change_is_confirmed_then_made(
    site: Flask, world: World, change: str, start: str, end: PlacementStatus
):
    placement = _draft(world) if start == "draft" else _open(world)
    if start == "closed":
        service.close(db.session, world.member_a.id, placement.id)
        db.session.commit()
    client = client_for(site, world.member_a)
    url = f"/organisation/placements/{placement.id}/{change}"
    assert client.get(url).status_code == 200
    response = submit(client, url, {})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Placement, placement.id).status == end
    assert "govuk-notification-banner--success" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)


def test_a_change_from_the_wrong_status_is_explained(site: Flask, world: World):
    placement = _draft(world)
    client = client_for(site, world.member_a)
    response = submit(client, f"/organisation/placements/{placement.id}/close", {})
    assert response.status_code == 409
    assert "This placement is draft, so you cannot do this" in response.get_data(as_text=True)


def test_discarding_a_draft_deletes_it(site: Flask, world: World):
    placement = _draft(world)
    client = client_for(site, world.member_a)
    response = submit(client, f"/organisation/placements/{placement.id}/discard", {})
    assert response.headers["Location"] == "/organisation/placements"
    assert _count() == 0


def test_the_list_filters_by_status(site: Flask, world: World):
    _draft(world, title="Draft one")
    _open(world, title="Open one")
    _open(world, member=world.admin_b, title="Another organisation's")
    client = client_for(site, world.member_a)
    everything = client.get("/organisation/placements").get_data(as_text=True)
    assert "Draft one" in everything and "Open one" in everything
    assert "Another organisation" not in everything
    drafts = client.get("/organisation/placements?status=draft").get_data(as_text=True)
    assert "Draft one" in drafts and "Open one" not in drafts
    assert client.get("/organisation/placements?status=lost").status_code == 400


# The authorisation matrix: every mutating route against every kind of person.

ROLES = ["signed_out", "civil_servant", "member", "org_admin", "other_org", "platform_admin"]


def _who(world: World, role: str) -> User | None:
    return {
        "signed_out": None,
        "civil_servant": world.person,
        "member": world.member_a,
        "org_admin": world.admin_a,
        "other_org": world.admin_b,
        "platform_admin": world.platform_admin,
    }[role]


# Expected answer per role: 302 to sign in for signed out, 403 for the wrong role, and for
# another organisation's member 404 for a draft (they may not know it exists), 403 if open.
ROUTES = [
    (
        "edit",
        "draft",
        {
            "signed_out": 302,
            "civil_servant": 403,
            "member": 302,
            "org_admin": 302,
            "other_org": 404,
            "platform_admin": 403,
        },
    ),
    (
        "publish",
        "draft",
        {
            "signed_out": 302,
            "civil_servant": 403,
            "member": 302,
            "org_admin": 302,
            "other_org": 404,
            "platform_admin": 403,
        },
    ),
    (
        "discard",
        "draft",
        {
            "signed_out": 302,
            "civil_servant": 403,
            "member": 302,
            "org_admin": 302,
            "other_org": 404,
            "platform_admin": 403,
        },
    ),
    (
        "close",
        "open",
        {
            "signed_out": 302,
            "civil_servant": 403,
            "member": 302,
            "org_admin": 302,
            "other_org": 403,
            "platform_admin": 403,
        },
    ),
    (
        "mark-filled",
        "open",
        {
            "signed_out": 302,
            "civil_servant": 403,
            "member": 302,
            "org_admin": 302,
            "other_org": 403,
            "platform_admin": 403,
        },
    ),
    (
        "withdraw",
        "open",
        {
            "signed_out": 302,
            "civil_servant": 403,
            "member": 302,
            "org_admin": 302,
            "other_org": 403,
            "platform_admin": 403,
        },
    ),
    (
        "reopen",
        "closed",
        {
            "signed_out": 302,
            "civil_servant": 403,
            "member": 302,
            "org_admin": 302,
            "other_org": 404,
            "platform_admin": 403,
        },
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "start", "expected"), ROUTES, ids=[r[0] for r in ROUTES])
def test_the_authorisation_matrix_for_placement_changes(
    site: Flask, world: World, route: str, start: str, expected: dict[str, int], role: str
):
    placement = _draft(world) if start == "draft" else _open(world)
    if start == "closed":
        service.close(db.session, world.member_a.id, placement.id)
        db.session.commit()
    before = (placement.status, placement.version_id, placement.title)
    client = client_for(site, _who(world, role))
    url = f"/organisation/placements/{placement.id}/{route}"
    data = answers(world, title="Changed", expected_version=str(placement.version_id))
    csrf_page = "/sign-in" if role == "signed_out" else "/organisation/placements"
    if role in ("civil_servant", "platform_admin", "other_org"):
        csrf_page = "/account"
    response = submit(client, url, data if route == "edit" else {}, page=csrf_page)
    assert response.status_code == expected[role], response.get_data(as_text=True)[:300]
    if role == "signed_out":
        assert response.headers["Location"].startswith("/sign-in")
    db.session.expire_all()
    after = db.session.get(Placement, placement.id)
    if expected[role] != 302 or role == "signed_out":
        assert after is not None
        assert (after.status, after.version_id, after.title) == before


@pytest.mark.parametrize("role", ROLES)
def test_creating_a_draft_needs_an_organisation_member(site: Flask, world: World, role: str):
    client = client_for(site, _who(world, role))
    csrf_page = "/sign-in" if role == "signed_out" else "/account"
    response = submit(client, "/organisation/placements/new", answers(world), page=csrf_page)
    expected = {"signed_out": 302, "civil_servant": 403, "platform_admin": 403}.get(role, 302)
    assert response.status_code == expected
    if expected == 302 and role != "signed_out":
        saved = submit(client, "/organisation/placements/new/check", {})
        placement = db.session.get(Placement, int(saved.headers["Location"].rsplit("/", 1)[1]))
        own = world.org_b if role == "other_org" else world.org_a
        assert placement.organisation_id == own.id


def test_another_organisations_member_cannot_see_or_manage_its_placements(
    site: Flask, world: World
):
    draft = _draft(world)
    opened = _open(world)
    client = client_for(site, world.admin_b)
    assert client.get(f"/organisation/placements/{draft.id}").status_code == 404
    assert client.get(f"/organisation/placements/{opened.id}").status_code == 403
    assert client.get(f"/placements/{draft.id}").status_code == 404
    assert client.get(f"/placements/{opened.id}").status_code == 200


# The public pages.


def test_public_page_visibility(site: Flask, world: World):
    draft = _draft(world)
    opened = _open(world)
    withdrawn = _open(world)
    service.withdraw(db.session, world.member_a.id, withdrawn.id)
    db.session.commit()
    anyone = site.test_client()
    assert anyone.get(f"/placements/{opened.id}").status_code == 200
    assert anyone.get(f"/placements/{draft.id}").status_code == 404
    assert anyone.get(f"/placements/{withdrawn.id}").status_code == 404
    assert anyone.get("/placements/999999").status_code == 404
    person = client_for(site, world.person)
    assert person.get(f"/placements/{draft.id}").status_code == 404
    member = client_for(site, world.member_a)
    preview = member.get(f"/placements/{draft.id}").get_data(as_text=True)
    assert "This is a preview" in preview


def test_an_organisations_own_placements_page_through_with_their_filter_kept(
    site: Flask, world: World
):
    for number in range(12):
        _open(world, title=f"Leeds placement {number}")
    member = client_for(site, world.member_a)

    first = member.get("/organisation/placements").get_data(as_text=True)
    assert "govuk-pagination" in first
    second = member.get("/organisation/placements?status=open&page=2")
    assert second.status_code == 200
    html = second.get_data(as_text=True)
    assert "status=open&amp;page=1" in html
    assert len(set(re.findall(r"Leeds placement \d+", html))) == 2


def test_search_filters_and_paginates(site: Flask, world: World):
    theme_b = world.theme_ids[1]
    slug_b = db.session.get(Theme, theme_b).slug
    for number in range(12):
        _open(world, title=f"Leeds placement {number}")
    _open(
        world,
        title="Remote mentoring",
        kind="mentoring",
        remote_possible=True,
        location_postcode="",
        theme_ids=(theme_b,),
    )
    _draft(world, title="Hidden draft")
    anyone = site.test_client()

    first = anyone.get("/placements").get_data(as_text=True)
    assert "13 placements" in first
    assert "Hidden draft" not in first
    assert "govuk-pagination" in first
    second = anyone.get("/placements?page=2").get_data(as_text=True)
    assert second.count('href="/placements/') == 3
    assert anyone.get("/placements?page=9").status_code == 404

    by_theme = anyone.get(f"/placements?theme={slug_b}").get_data(as_text=True)
    assert "1 placement<" in by_theme and "Remote mentoring" in by_theme
    by_kind = anyone.get("/placements?kind=mentoring").get_data(as_text=True)
    assert "1 placement<" in by_kind
    remote = anyone.get("/placements?remote=yes").get_data(as_text=True)
    assert "1 placement<" in remote
    words = anyone.get("/placements?text=REMOTE+mentoring").get_data(as_text=True)
    assert "1 placement<" in words and "Remote mentoring" in words
    by_region = anyone.get("/placements?region=E12000003").get_data(as_text=True)
    assert "12 placements" in by_region  # LS1 is in Yorkshire and The Humber
    paged = anyone.get("/placements?kind=secondment&page=2").get_data(as_text=True)
    assert "kind=secondment&amp;page=1" in paged

    nothing = anyone.get("/placements?text=submarine").get_data(as_text=True)
    assert "No placements match your search" in nothing
    assert 'href="/placements">Clear filters' in nothing
    # An unknown filter value filters by nothing instead of failing.
    assert anyone.get("/placements?kind=holiday&theme=nope").status_code == 200


def test_the_check_page_and_the_officers_page_keep_the_descriptions_paragraphs(
    site: Flask, world: World
):
    client = client_for(site, world.member_a)
    description = "Six months with the transport team.\r\n\r\nYou will & learn <fast>."
    paragraphs = (
        '<p class="govuk-body">Six months with the transport team.</p>'
        '<p class="govuk-body">You will &amp; learn &lt;fast&gt;.</p>'
    )

    submit(client, "/organisation/placements/new", answers(world, description=description))
    assert paragraphs in client.get("/organisation/placements/new/check").get_data(as_text=True)

    saved = submit(client, "/organisation/placements/new/check", {})
    assert paragraphs in client.get(saved.headers["Location"]).get_data(as_text=True)


def test_a_long_description_survives_the_check_page_and_stays_out_of_the_cookie(
    site: Flask, world: World
):
    """Browsers drop cookies over 4 KB: a 9,000-character description once vanished there."""
    client = client_for(site, world.member_a)
    paragraph = " ".join(["Working with the council."] * 14)
    description = "\n\n".join(f"Paragraph {n}. {paragraph}" for n in range(25))
    assert 8_000 < len(description) <= 10_000

    submit(client, "/organisation/placements/new", answers(world, description=description))
    cookie = client.get_cookie("session")
    check = client.get("/organisation/placements/new/check").get_data(as_text=True)
    saved = submit(client, "/organisation/placements/new/check", {})

    assert cookie is not None and len(cookie.value) < 1_000
    assert "Paragraph 24." in check
    assert saved.status_code == 302
    assert db.session.scalar(select(Placement.description)) == description
    assert db.session.scalar(select(func.count()).select_from(FormDraft)) == 0
