"""The feedback link in the phase banner, the feedback form, and the list administrators read."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from matcher.extensions import db
from matcher.http.ratelimit import FEEDBACK_PER_IP
from matcher.models import Feedback, Role, utcnow
from tests.unit.web.matches_world import browser_of
from tests.web import (
    confirmed_user,
    csrf_token,
    error_summary,
    inline_errors,
    submission_token,
    submit,
)

GOOD = {
    "trying_to_do": "Find a placement near Carlisle",
    "could_be_better": "The distance filter was hard to find.",
    "reply_email": "",
}


def _banner_link(html: str) -> str:
    banner = re.search(r'class="govuk-phase-banner__text">(.*?)</span>', html, re.S).group(1)
    assert "This is a new service. Help us improve it and" in banner
    return re.search(r'<a class="govuk-link" href="([^"]+)">give your feedback</a>', banner).group(
        1
    )


def test_the_phase_banner_links_to_feedback_naming_the_page_but_no_ids(app):
    client = app.test_client()

    on_home = _banner_link(client.get("/").get_data(as_text=True))
    on_placement = _banner_link(client.get("/placements/12345").get_data(as_text=True))

    assert on_home == "/feedback?referrer=/"
    assert on_placement == "/feedback?referrer=/placements/%3Cint:placement_id%3E"
    assert client.get(on_placement).status_code == 200


def test_feedback_is_stored_with_its_page_and_thanked(app):
    client = app.test_client()
    url = "/feedback?referrer=/placements/%3Cint:placement_id%3E"

    response = submit(client, url, GOOD | {"reply_email": "sam@cabinetoffice.gov.uk"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/feedback/sent"
    thanks = client.get("/feedback/sent").get_data(as_text=True)
    assert "Thank you for your feedback" in thanks
    stored = db.session.scalars(select(Feedback)).one()
    assert stored.page == "/placements/<int:placement_id>"
    assert stored.could_be_better == GOOD["could_be_better"]
    assert stored.reply_email == "sam@cabinetoffice.gov.uk"


def test_a_referrer_that_is_not_one_of_our_pages_is_not_stored(app):
    response = submit(app.test_client(), "/feedback?referrer=/placements/7", GOOD)

    assert response.status_code == 302
    assert db.session.scalars(select(Feedback)).one().page is None


def test_feedback_errors_are_worded_by_the_service_and_shown_on_the_form(app):
    client = app.test_client()

    response = submit(
        client,
        "/feedback",
        {"trying_to_do": "", "could_be_better": "x" * 1201, "reply_email": "sam@"},
    )

    html = response.get_data(as_text=True)
    expected = [
        "Enter what you were trying to do",
        "What went wrong or could be better must be 1,200 characters or fewer",
        "Enter an email address in the correct format, like name@example.com",
    ]
    assert response.status_code == 422
    assert "<title>Error: Give feedback on this service" in html
    assert error_summary(html) == expected
    assert inline_errors(html) == expected
    assert db.session.scalars(select(Feedback)).all() == []


def test_feedback_needs_the_form_s_csrf_token(app):
    response = app.test_client().post("/feedback", data=GOOD)

    assert response.status_code == 400
    assert db.session.scalars(select(Feedback)).all() == []


def test_a_double_submitted_form_is_kept_once(app):
    client = app.test_client()
    html = client.get("/feedback").get_data(as_text=True)
    data = GOOD | {"csrf_token": csrf_token(html), "submission": submission_token(html)}

    first, second = client.post("/feedback", data=data), client.post("/feedback", data=data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert len(db.session.scalars(select(Feedback)).all()) == 1


def test_feedback_is_rate_limited_per_ip_address(app):
    app.config[FEEDBACK_PER_IP] = "2 per hour"
    client = app.test_client()

    statuses = [submit(client, "/feedback", GOOD).status_code for _ in range(3)]

    assert statuses == [302, 302, 429]
    assert len(db.session.scalars(select(Feedback)).all()) == 2


def test_nothing_people_wrote_reaches_the_logs(app, caplog):
    caplog.set_level("DEBUG")

    submit(app.test_client(), "/feedback", GOOD | {"reply_email": "private.person@example.com"})

    assert "private.person" not in caplog.text
    assert "Carlisle" not in caplog.text


def test_administrators_read_feedback_newest_first(app):
    admin = confirmed_user(Role.ADMINISTRATOR)
    now = utcnow()
    for number in range(22):
        db.session.add(
            Feedback(
                received_at=now - timedelta(minutes=number),
                trying_to_do=f"Attempt number {number}",
                could_be_better="First line\nSecond <b>line</b>",
                reply_email="reply@example.com" if number == 0 else None,
            )
        )
    db.session.commit()
    client = browser_of(app, admin)

    index = client.get("/admin").get_data(as_text=True)
    first = client.get("/admin/feedback").get_data(as_text=True)
    second = client.get("/admin/feedback?page=2").get_data(as_text=True)

    assert 'href="/admin/feedback"' in index
    assert first.index("Attempt number 0<") < first.index("Attempt number 1<")
    assert "Attempt number 20<" not in first and "Attempt number 21<" in second
    assert '<p class="govuk-body">First line</p><p class="govuk-body">Second &lt;b&gt;line' in first
    assert 'href="mailto:reply@example.com"' in first
    assert 'href="/admin/feedback?page=2"' in first


@pytest.mark.parametrize("role", [Role.CIVIL_SERVANT, Role.ORGANISATION_MEMBER])
def test_only_platform_administrators_see_the_feedback_list(app, role):
    db.session.add(Feedback(trying_to_do="Secret", could_be_better="Private"))
    db.session.commit()

    signed_out = app.test_client().get("/admin/feedback")
    someone = browser_of(app, confirmed_user(role)).get("/admin/feedback")

    assert signed_out.status_code == 302
    assert signed_out.headers["Location"].startswith("/sign-in")
    assert someone.status_code == 403
    assert "Secret" not in someone.get_data(as_text=True)
