"""A page's one transaction: committed when the view returns, rolled back when it is refused."""

from __future__ import annotations

import pytest
from flask import Flask, get_flashed_messages
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from wtforms import StringField

from matcher.extensions import db
from matcher.models import Theme
from matcher.services.errors import InvalidState, NotFound, NotPermitted, ServiceError
from matcher.services.validation import ValidationFailed
from matcher.web.forms import BaseForm
from matcher.web.unit_of_work import Tell, answering, unit_of_work


class NameForm(BaseForm):
    name = StringField()


def _add_theme(name: str) -> None:
    db.session.add(Theme(slug=name.lower(), name=name))
    db.session.flush()


_MINE = select(Theme.name).where(Theme.name.like("Unit %"))


def _saved_themes() -> list[str]:
    """The themes this test made that another connection can see: the committed ones."""
    with db.engine.connect() as connection:
        return list(connection.scalars(_MINE))


def _left_behind() -> list[str]:
    """The themes this test made that the request's session still holds, committed or not."""
    return list(db.session.scalars(_MINE))


def test_a_view_that_returns_is_committed_once(app: Flask):
    @unit_of_work
    def view() -> str:
        _add_theme("Unit saved")
        return "done"

    with app.test_request_context():
        assert view() == "done"
    assert _saved_themes() == ["Unit saved"]


@pytest.mark.parametrize(
    ("error", "status"), [(NotFound("gone"), 404), (NotPermitted("not yours"), 403)]
)
def test_an_unanswered_refusal_rolls_back_and_is_an_error_page(
    app: Flask, error: ServiceError, status: int
):
    @unit_of_work
    def view() -> str:
        _add_theme("Unit refused")
        raise error

    with app.test_request_context(), pytest.raises(HTTPException) as raised:
        view()
    assert raised.value.code == status
    assert _left_behind() == []


def test_any_other_failure_rolls_back_and_is_raised(app: Flask):
    @unit_of_work
    def view() -> str:
        _add_theme("Unit fault")
        raise InvalidState("nobody said how to answer this")

    with app.test_request_context(), pytest.raises(InvalidState):
        view()
    assert _left_behind() == []


def test_field_errors_go_on_the_form_and_the_view_shows_it_again(app: Flask):
    @unit_of_work
    def view() -> str:
        form = NameForm(meta={"csrf": False})
        _add_theme("Unit before")
        with answering(form, field_names={"title": "name"}):
            _add_theme("Unit half done")
            raise ValidationFailed({"title": "Enter a name"})
        # What the view reads after a refusal must not see the refused changes.
        assert _left_behind() == []
        return f"{form.name.errors}"

    with app.test_request_context(method="POST"):
        assert view() == "['Enter a name']"
    assert _left_behind() == []


def test_a_listed_refusal_is_told_in_a_banner_on_the_page_named(app: Flask):
    @unit_of_work
    def view() -> str:
        with answering(answers={InvalidState: Tell(lambda e: f"No: {e}", "/elsewhere")}):
            _add_theme("Unit told")
            raise InvalidState("it is closed")
        return "not reached"

    with app.test_request_context():
        with pytest.raises(HTTPException) as raised:
            view()
        assert get_flashed_messages() == ["No: it is closed"]
    response = raised.value.get_response()
    assert (response.status_code, response.headers["Location"]) == (302, "/elsewhere")
    assert _left_behind() == []


def test_a_refusal_can_be_answered_by_a_page_of_its_own_and_the_first_match_wins(app: Flask):
    class Closed(InvalidState):
        pass

    answers = {Closed: lambda e: ("closed page", 409), InvalidState: lambda e: ("other", 400)}

    @unit_of_work
    def view() -> str:
        with answering(answers=answers):
            _add_theme("Unit paged")
            raise Closed("placement 1 is closed")
        return "not reached"

    with app.test_request_context(), pytest.raises(HTTPException) as raised:
        view()
    response = raised.value.get_response()
    assert (response.status_code, response.get_data(as_text=True)) == (409, "closed page")
    assert _left_behind() == []


def test_an_error_not_listed_passes_through_to_the_unit_of_work(app: Flask):
    @unit_of_work
    def view() -> str:
        with answering(NameForm(meta={"csrf": False}), {InvalidState: {"name": "Taken"}}):
            _add_theme("Unit passed on")
            raise NotFound("placement 1")
        return "not reached"

    with app.test_request_context(method="POST"), pytest.raises(HTTPException) as raised:
        view()
    assert raised.value.code == 404
    assert _left_behind() == []
