"""Reflections on completed placements: the form (from the email's signed link, or signed in),
the list of a person's reflections, and starting a practice note from a quotable one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from matcher.extensions import app_settings, db
from matcher.models import Reflection, utcnow
from matcher.security.tokens import InvalidToken
from matcher.services import practice_notes
from matcher.services.concurrency import StaleObject
from matcher.services.practice_notes import NoteData
from matcher.services.reflections import (
    About,
    ReflectionAnswers,
    get_reflection,
    quotable,
    read_reflection_token,
    reflect,
    reflections_for,
)
from matcher.web.auth import login_required, signed_in_user
from matcher.web.forms import submitted_id
from matcher.web.forms.placements import ConfirmForm
from matcher.web.forms.reflections import ReflectionForm
from matcher.web.pages import form_page
from matcher.web.unit_of_work import answering, unit_of_work

reflections = Blueprint("reflections", __name__)

STALE = {
    "learned": "Someone else changed this reflection while you were answering. "
    "Read their answers below, then change them if you need to"
}


def _worded(form: ReflectionForm, about: About) -> None:
    """Word each question for the side answering it."""
    if about.is_secondee:
        form.learned.label.text = "What did you learn on this placement?"
        form.recommend.label.text = "Would you recommend this placement to a colleague?"
        form.rating.label.text = "How would you rate the placement overall?"
        form.learned.description = (
            "For example, how the organisation works with residents and partners, or what "
            "surprised you about delivering a service"
        )
    else:
        form.learned.label.text = (
            f"What did your organisation learn from hosting {about.secondee_name}?"
        )
        form.recommend.label.text = (
            "Would you recommend hosting a civil servant to a similar organisation?"
        )
        form.rating.label.text = "How would you rate the placement overall, for your organisation?"
        form.learned.description = "For example, what you now understand about central government"
        form.informed.description = (
            "For example, a service you changed, or a policy you were able to influence"
        )


def _filled(form: ReflectionForm, reflection: Reflection) -> None:
    """The saved answers on a form being shown (not posted)."""
    form.version.data = str(reflection.version_id)
    if reflection.submitted_at is None:
        return
    form.learned.data = reflection.learned
    form.informed.data = reflection.informed
    form.recommend.data = "yes" if reflection.recommend else "no"
    form.rating.data = str(reflection.rating)
    form.may_quote.data = ["yes"] if reflection.may_quote else []


def _answer(actor_id: int, reflection_id: int, given_url: str) -> ResponseReturnValue:
    """The reflection form for ``actor_id``: show it, or take its answers."""
    about = get_reflection(db.session, actor_id, reflection_id)
    reflection = about.reflection
    if not about.is_open(utcnow()):
        return render_template("pages/reflections/closed.html", about=about)
    form = ReflectionForm()
    _worded(form, about)
    if request.method == "GET":
        _filled(form, reflection)
    elif form.validate_on_submit():
        answers = ReflectionAnswers(
            learned=form.learned.data or "",
            informed=form.informed.data or "",
            recommend=form.recommend.data or "",
            rating=form.rating.data or "",
            may_quote="yes" in (form.may_quote.data or []) and about.is_secondee,
        )
        with answering(form, {StaleObject: STALE}):
            reflect(
                db.session,
                actor_id,
                reflection_id,
                answers,
                expected_version=submitted_id(form.version.data),
            )
            return redirect(given_url)
        # Rolled back: a second try is made against the version now saved.
        form.version.data = str(reflection.version_id)
    return form_page("pages/reflections/form.html", form=form, about=about)


def _link_not_valid(expired: bool) -> tuple[str, int]:
    return render_template("pages/accounts/link_not_valid.html", expired=expired), 400


@reflections.route("/reflections/link/<token>", methods=["GET", "POST"])
@unit_of_work
def from_email(token: str) -> ResponseReturnValue:
    """The form, reached from the email's link: the link names the reflection and the person."""
    try:
        reflection_id, user_id = read_reflection_token(app_settings().secret_key, token)
    except InvalidToken as error:
        return _link_not_valid(error.expired)
    return _answer(user_id, reflection_id, url_for("reflections.given_from_email", token=token))


@reflections.get("/reflections/link/<token>/given")
@unit_of_work
def given_from_email(token: str) -> ResponseReturnValue:
    """Thank the person for their reflection, reached from the email's link."""
    try:
        reflection_id, user_id = read_reflection_token(app_settings().secret_key, token)
    except InvalidToken as error:
        return _link_not_valid(error.expired)
    about = get_reflection(db.session, user_id, reflection_id)
    change_url = url_for("reflections.from_email", token=token)
    return render_template("pages/reflections/given.html", about=about, change_url=change_url)


@reflections.get("/reflections")
@login_required
@unit_of_work
def mine() -> str:
    """The reflections the signed-in person can give or change."""
    waiting = reflections_for(db.session, signed_in_user().id)
    return render_template("pages/reflections/mine.html", waiting=waiting, now=utcnow())


@reflections.route("/reflections/<int:reflection_id>", methods=["GET", "POST"])
@login_required
@unit_of_work
def answer(reflection_id: int) -> ResponseReturnValue:
    """The form, for the signed-in person."""
    return _answer(
        signed_in_user().id,
        reflection_id,
        url_for("reflections.given", reflection_id=reflection_id),
    )


@reflections.get("/reflections/<int:reflection_id>/given")
@login_required
@unit_of_work
def given(reflection_id: int) -> str:
    """Thank the signed-in person for their reflection."""
    about = get_reflection(db.session, signed_in_user().id, reflection_id)
    change_url = url_for("reflections.answer", reflection_id=reflection_id)
    return render_template("pages/reflections/given.html", about=about, change_url=change_url)


def _note_from(about: About) -> NoteData:
    """A draft practice note's first words, from a secondee's quotable reflection."""
    reflection = about.reflection
    evidence = f"A civil servant seconded to {about.placement_title} wrote: {reflection.learned}"
    return NoteData(
        title=about.placement_title,
        what_changed=reflection.informed or "",
        evidence=evidence,
        placement_ids=(about.placement_id,),
    )


@reflections.route("/reflections/<int:reflection_id>/practice-note", methods=["GET", "POST"])
@login_required
@unit_of_work
def start_note(reflection_id: int) -> Any:
    """Start a draft practice note from a quotable reflection, confirmed on a page first."""
    about = quotable(db.session, signed_in_user().id, reflection_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        note = practice_notes.create_draft(
            db.session, signed_in_user().id, about.organisation_id, _note_from(about)
        )
        return redirect(url_for("practice_notes.edit", note_id=note.id))
    return form_page("pages/reflections/start_note.html", form=form, about=about)
