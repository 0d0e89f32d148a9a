"""The rules for giving feedback, and who may read it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import Feedback, Role, utcnow
from matcher.services.errors import NotPermitted
from matcher.services.feedback import FeedbackAnswers, feedback_received, give_feedback
from matcher.services.validation import ValidationFailed
from tests.web import confirmed_user


def _refused(answers: FeedbackAnswers) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as refused:
        give_feedback(db.session, answers)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 0
    return refused.value.errors


def test_feedback_is_kept_trimmed_with_plain_line_breaks(app):
    answers = FeedbackAnswers(
        trying_to_do="  Find a placement near Carlisle  ",
        could_be_better="The map was hard to read.\r\nThe dates too.\tAnd 🙂.",
        reply_email="  Sam.Recruit@CabinetOffice.gov.uk ",
    )

    kept = give_feedback(db.session, answers, page="/placements/<int:placement_id>")
    db.session.commit()

    stored = db.session.get(Feedback, kept.id)
    assert stored.trying_to_do == "Find a placement near Carlisle"
    assert stored.could_be_better == "The map was hard to read.\nThe dates too.\tAnd 🙂."
    assert stored.reply_email == "Sam.Recruit@cabinetoffice.gov.uk"
    assert stored.page == "/placements/<int:placement_id>"
    assert stored.received_at is not None


def test_an_email_address_is_optional(app):
    kept = give_feedback(db.session, FeedbackAnswers("Sign in", "It worked", reply_email="  "))

    assert kept.reply_email is None


def test_both_questions_must_be_answered(app):
    errors = _refused(FeedbackAnswers(trying_to_do=" \n ", could_be_better=""))

    assert errors == {
        "trying_to_do": "Enter what you were trying to do",
        "could_be_better": "Enter what went wrong or could be better",
    }


def test_answers_have_length_limits(app):
    errors = _refused(FeedbackAnswers(trying_to_do="x" * 501, could_be_better="y" * 1201))

    assert errors == {
        "trying_to_do": "What you were trying to do must be 500 characters or fewer",
        "could_be_better": "What went wrong or could be better must be 1,200 characters or fewer",
    }
    assert give_feedback(db.session, FeedbackAnswers("x" * 500, "y" * 1200)).id


@pytest.mark.parametrize("control", ["\x00", "\x1b[31m", "\x07", "\x7f", "\x85"])
def test_control_characters_are_refused(app, control):
    errors = _refused(
        FeedbackAnswers(f"Search{control}ing", f"Dates{control}!", f"a{control}b@c.gov.uk")
    )

    assert errors["trying_to_do"].startswith(
        "What you were trying to do must not include hidden formatting characters"
    )
    assert errors["could_be_better"].startswith(
        "What went wrong or could be better must not include hidden formatting characters"
    )
    assert errors["reply_email"] == (
        "Enter an email address in the correct format, like name@example.com"
    )


@pytest.mark.parametrize("address", ["not an address", "name@", "@example.com", "a@b@c.com"])
def test_a_reply_address_must_look_like_one(app, address):
    errors = _refused(FeedbackAnswers("Register", "Fine", reply_email=address))

    assert errors == {
        "reply_email": "Enter an email address in the correct format, like name@example.com"
    }


@pytest.mark.parametrize("page", ["https://evil.example/", "/a b", "/x\x00", "/" + "p" * 200, ""])
def test_an_odd_page_is_forgotten_not_refused(app, page):
    kept = give_feedback(db.session, FeedbackAnswers("Search", "Fine"), page=page)

    assert kept.page is None


def test_administrators_read_feedback_newest_first_a_page_at_a_time(app):
    admin = confirmed_user(Role.ADMINISTRATOR)
    now = utcnow()
    for number in range(5):
        db.session.add(
            Feedback(
                received_at=now - timedelta(hours=number),
                trying_to_do=f"message {number}",
                could_be_better="-",
            )
        )
    db.session.commit()

    first = feedback_received(db.session, admin.id, page=1, per_page=2)
    last = feedback_received(db.session, admin.id, page=3, per_page=2)

    assert [item.trying_to_do for item in first.items] == ["message 0", "message 1"]
    assert [item.trying_to_do for item in last.items] == ["message 4"]
    assert (first.total, first.pages) == (5, 3)


@pytest.mark.parametrize("role", [Role.CIVIL_SERVANT, Role.ORGANISATION_MEMBER])
def test_only_platform_administrators_may_read_feedback(app, role):
    someone = confirmed_user(role)

    with pytest.raises(NotPermitted):
        feedback_received(db.session, someone.id, page=1, per_page=20)
