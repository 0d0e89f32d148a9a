"""Administration: verify and reject organisations, unpublish placements, taxonomies, audit log."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import AuditEntry, PlacementStatus, Theme, VerificationStatus
from tests import builders
from tests.unit.services.world import World, build_world, open_placement
from tests.unit.web.matches_world import browser_of, confirm_everyone
from tests.unit.web.test_matches_pages import post_button
from tests.web import csrf_token, error_summary, inline_errors, submission_token, submit


@pytest.fixture
def world(app: Flask) -> World:
    """The service-test world, with every account confirmed."""
    built = build_world(db.session)
    confirm_everyone()
    return built


def test_an_administrator_verifies_a_proposed_organisation(app, world):
    proposed = builders.organisation(db.session, name="Proposed Partnership")
    db.session.commit()
    client = browser_of(app, world.platform_admin)

    page = client.get("/admin/organisations").get_data(as_text=True)
    response, data = post_button(
        client, "/admin/organisations", f"/admin/organisations/{proposed.id}/verify"
    )
    again = client.post(f"/admin/organisations/{proposed.id}/verify", data=data)

    assert "Proposed Partnership" in page
    assert response.status_code == 302 and again.status_code == 302
    db.session.refresh(proposed)
    assert proposed.status == VerificationStatus.VERIFIED
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "organisation.verified")
        )
        == 1
    )


def test_rejecting_an_organisation_is_confirmed_first(app, world):
    proposed = builders.organisation(db.session, name="Doubtful Body")
    db.session.commit()
    client = browser_of(app, world.platform_admin)
    url = f"/admin/organisations/{proposed.id}/reject"

    confirm = client.get(url).get_data(as_text=True)
    assert "Are you sure you want to reject Doubtful Body?" in confirm
    response, _ = post_button(client, url, url)

    assert response.status_code == 302
    db.session.refresh(proposed)
    assert proposed.status == VerificationStatus.REJECTED


def test_unpublishing_needs_a_reason(app, world):
    placement = open_placement(db.session, world)
    db.session.commit()
    client = browser_of(app, world.platform_admin)
    url = f"/admin/placements/{placement.id}/unpublish"

    bad = submit(client, url, {"reason": "   "})

    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert error_summary(html) == ["Enter why the placement is being unpublished"]
    assert inline_errors(html) == ["Enter why the placement is being unpublished"]
    db.session.refresh(placement)
    assert placement.status == PlacementStatus.OPEN

    too_long = submit(client, url, {"reason": "x" * 1001})
    assert too_long.status_code == 422

    good = submit(client, url, {"reason": "It advertises a paid job, not a placement."})
    assert good.status_code == 302
    db.session.refresh(placement)
    assert placement.status != PlacementStatus.OPEN
    assert f"/admin/placements/{placement.id}/unpublish" not in client.get(
        "/admin/placements"
    ).get_data(as_text=True)


def test_themes_can_be_added_renamed_and_deactivated_with_an_audit(app, world):
    client = browser_of(app, world.platform_admin)
    existing = db.session.scalars(select(Theme).order_by(Theme.id)).first()

    empty = submit(client, "/admin/themes", {"name": ""})
    duplicate = submit(client, "/admin/themes", {"name": existing.name.upper()})
    added = submit(client, "/admin/themes", {"name": "Coastal communities"})

    assert empty.status_code == 422 and error_summary(empty.get_data(as_text=True))
    assert duplicate.status_code == 422
    assert error_summary(duplicate.get_data(as_text=True)) == [
        f"There is already a theme called {existing.name.upper()}"
    ]
    assert added.status_code == 302
    theme = db.session.scalars(select(Theme).where(Theme.name == "Coastal communities")).one()
    assert theme.active

    renamed = submit(client, f"/admin/themes/{theme.id}/rename", {"name": "Coastal towns"})
    assert renamed.status_code == 302
    html = client.get(f"/admin/themes?page={_page_of(theme)}").get_data(as_text=True)
    assert "Coastal towns" in html
    response, _ = post_button(
        client, f"/admin/themes?page={_page_of(theme)}", f"/admin/themes/{theme.id}/deactivate"
    )
    assert response.status_code == 302
    db.session.refresh(theme)
    assert theme.name == "Coastal towns" and not theme.active
    actions = set(
        db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "theme"))
    )
    assert actions == {"theme.created", "theme.renamed", "theme.deactivated"}


def _page_of(theme: Theme) -> int:
    before = db.session.scalar(
        select(func.count()).select_from(Theme).where(Theme.name < theme.name)
    )
    return (before or 0) // 50 + 1


def test_the_audit_log_filters_and_paginates(app, world):
    for number in range(30):
        db.session.add(
            AuditEntry(
                actor_id=world.platform_admin.id,
                action="test.thing",
                object_type="thing",
                object_id=str(number),
            )
        )
    db.session.add(
        AuditEntry(
            actor_id=world.member_a.id, action="other.thing", object_type="other", object_id="1"
        )
    )
    db.session.commit()
    client = browser_of(app, world.platform_admin)

    first = client.get("/admin/audit?action=test.thing").get_data(as_text=True)
    by_actor = client.get(f"/admin/audit?actor={world.member_a.email}").get_data(as_text=True)

    assert "30 entries" in first
    assert "govuk-pagination" in first and "page=2" in first
    assert "1 entry" in by_actor and "other.thing" in by_actor


def test_only_platform_administrators_reach_administration(app, world):
    for user, expected in [
        (world.person, 403),
        (world.member_a, 403),
        (world.platform_admin, 200),
    ]:
        for path in [
            "/admin",
            "/admin/organisations",
            "/admin/placements",
            "/admin/themes",
            "/admin/skills",
            "/admin/audit",
        ]:
            assert browser_of(app, user).get(path).status_code == expected, (path, user.role)
    assert browser_of(app, None).get("/admin").status_code == 302


def test_a_refused_form_corrected_on_its_error_page_goes_through(app, world):
    client = browser_of(app, world.platform_admin)
    existing = db.session.scalars(select(Theme).order_by(Theme.id)).first()
    refused = submit(client, "/admin/themes", {"name": existing.name})
    assert refused.status_code == 422
    # The error page carries the refused submission's one-time token.
    html = refused.get_data(as_text=True)
    tokens = {"csrf_token": csrf_token(html), "submission": submission_token(html)}

    corrected = client.post("/admin/themes", data={**tokens, "name": "Rivers"})
    double_click = client.post("/admin/themes", data={**tokens, "name": "Lakes"})

    assert corrected.status_code == 302
    assert db.session.scalar(select(Theme.id).where(Theme.name == "Rivers")) is not None
    assert double_click.status_code == 302
    assert db.session.scalar(select(Theme.id).where(Theme.name == "Lakes")) is None
