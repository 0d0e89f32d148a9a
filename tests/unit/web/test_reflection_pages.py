"""The reflection form through the email's signed link and signed in, the list of reflections,
the quote on the host's public page, and a practice note started from it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from flask import Flask
from sqlalchemy import select, update

from matcher.clock import set_now
from matcher.extensions import app_settings, db
from matcher.models import (
    InterestStatus,
    PracticeNote,
    Reflection,
    ReflectionSide,
    User,
    utcnow,
)
from matcher.security.passwords import hash_password
from matcher.services import reflections
from matcher.services.reflections import reflection_token
from tests.unit.services.world import World, build_world, interest_in, open_placement
from tests.web import PASSWORD, error_summary, inline_errors, sign_in, submit

GOOD = {
    "learned": "How a county council plans buses with parish councils.",
    "informed": "The rural transport strategy",
    "recommend": "yes",
    "rating": "5",
    "may_quote": "yes",
}


def _asked(app: Flask) -> tuple[World, Reflection, Reflection]:
    world = build_world(db.session)
    db.session.execute(
        update(User).values(password_hash=hash_password(PASSWORD), email_confirmed_at=utcnow())
    )
    placement = open_placement(db.session, world, title="Rural buses", duration_weeks=2)
    interest_in(db.session, world, placement, InterestStatus.ACCEPTED)
    db.session.commit()
    ends_on = placement.start_date + timedelta(weeks=2)
    set_now(datetime.combine(ends_on, time(9), tzinfo=UTC))
    reflections.ask_for_due(db.session, app_settings())
    db.session.commit()
    by_side = {r.side: r for r in db.session.scalars(select(Reflection))}
    return world, by_side[ReflectionSide.SECONDEE], by_side[ReflectionSide.HOST]


def _link(reflection: Reflection, user: User) -> str:
    return (
        f"/reflections/link/{reflection_token(app_settings().secret_key, reflection.id, user.id)}"
    )


def test_the_emails_link_opens_the_form_which_checks_every_answer_and_thanks(app: Flask):
    world, secondee, _ = _asked(app)
    client = app.test_client()
    link = _link(secondee, world.person)

    page = client.get(link).get_data(as_text=True)
    for question in (
        "What did you learn on this placement?",
        "Which policy or service did it inform? (optional)",
        "Would you recommend this placement to a colleague?",
        "How would you rate the placement overall?",
        "Can we quote what you learned?",
    ):
        assert question in page

    refused = submit(client, link, {"learned": " ", "recommend": "", "rating": "9"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    expected = [
        "Enter what was learned",
        "Select yes if you would recommend it, or no if not",
        "Select a rating from 1 to 5",
    ]
    assert error_summary(html) == expected
    assert inline_errors(html) == expected
    assert "<title>Error: " in html

    sent = submit(client, link, GOOD)
    assert sent.status_code == 302
    thanks = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Reflection sent" in thanks
    assert "can now be quoted" in thanks
    db.session.refresh(secondee)
    assert (secondee.rating, secondee.recommend, secondee.may_quote) == (5, True, True)

    # Changing it shows the saved answers and keeps one reflection.
    again = client.get(link).get_data(as_text=True)
    assert GOOD["learned"] in again and "Save your changes" in again
    assert submit(client, link, GOOD | {"rating": "4"}).status_code == 302
    assert (
        db.session.scalars(select(Reflection.rating).where(Reflection.id == secondee.id)).one() == 4
    )


def test_a_link_works_only_as_signed_and_only_for_its_side(app: Flask):
    world, secondee, host = _asked(app)
    client = app.test_client()
    link = _link(secondee, world.person)

    assert client.get(link[:-3] + "abc").status_code == 400
    # A member's link to the secondee's reflection (never sent) finds nothing.
    assert client.get(_link(secondee, world.member_a)).status_code == 404
    host_page = client.get(_link(host, world.member_a)).get_data(as_text=True)
    assert (
        f"What did your organisation learn from hosting {world.person.display_name}?" in host_page
    )
    assert "Can we quote" not in host_page


def test_signed_in_people_find_their_reflections_and_only_theirs(app: Flask):
    world, secondee, host = _asked(app)
    person = app.test_client()
    sign_in(person, world.person.email)
    listed = person.get("/reflections").get_data(as_text=True)
    assert "Rural buses" in listed and "To give" in listed
    assert f'href="/reflections/{secondee.id}"' in listed
    assert person.get(f"/reflections/{host.id}").status_code == 404
    assert submit(person, f"/reflections/{secondee.id}", GOOD).status_code == 302
    assert "Given" in person.get("/reflections").get_data(as_text=True)

    outsider = app.test_client()
    sign_in(outsider, world.admin_b.email)
    empty = outsider.get("/reflections").get_data(as_text=True)
    assert "You have no reflections to give" in empty
    assert outsider.get(f"/reflections/{secondee.id}").status_code == 404


def test_a_consented_quote_shows_on_the_hosts_page_and_a_member_starts_a_note_from_it(
    app: Flask,
):
    world, secondee, _ = _asked(app)
    client = app.test_client()
    page = f"/organisations/{world.org_a.id}"
    assert "No secondee has shared what they learned here yet" in client.get(page).get_data(
        as_text=True
    )
    submit(client, _link(secondee, world.person), GOOD | {"may_quote": ""})
    assert GOOD["learned"] not in client.get(page).get_data(as_text=True)

    submit(client, _link(secondee, world.person), GOOD)
    public = client.get(page).get_data(as_text=True)
    assert GOOD["learned"] in public
    assert world.person.display_name not in public
    assert "Start a practice note" not in public

    member = app.test_client()
    sign_in(member, world.member_a.email)
    start = re.search(
        r'href="(/reflections/\d+/practice-note)"', member.get(page).get_data(as_text=True)
    )
    assert start
    started = submit(member, start.group(1), {})
    assert started.status_code == 302
    note = db.session.scalars(select(PracticeNote)).one()
    assert started.headers["Location"] == f"/organisation/practice-notes/{note.id}/edit"
    assert (note.title, note.organisation_id) == ("Rural buses", world.org_a.id)
    assert GOOD["learned"] in note.evidence

    other = app.test_client()
    sign_in(other, world.admin_b.email)
    assert other.get(start.group(1)).status_code == 403
