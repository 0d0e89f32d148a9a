"""Feedback: the form the phase banner links to, and the list platform administrators read."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from matcher.extensions import db
from matcher.http import ratelimit
from matcher.models import Role
from matcher.services.feedback import FeedbackAnswers, feedback_received, give_feedback
from matcher.web.auth import roles_required, signed_in_user
from matcher.web.forms.feedback import FeedbackForm
from matcher.web.once import first_submission
from matcher.web.pages import form_page, page_number, pagination
from matcher.web.unit_of_work import answering, unit_of_work
from matcher.web.wording import when

feedback = Blueprint("feedback", __name__)

PER_PAGE = 20


def _referrer() -> str | None:
    """The page the feedback link was on, as the app's rule for it (never a token or an id)."""
    rule = request.args.get("referrer", "")
    known = {
        item.rule for item in current_app.url_map.iter_rules() if "GET" in (item.methods or ())
    }
    return rule if rule in known else None


def _too_much(error: ratelimit.TooManyAttempts) -> Any:
    minutes = max(1, -(-error.retry_after // 60))
    response = current_app.make_response(
        (render_template("pages/feedback/too_much.html", minutes=minutes), 429)
    )
    response.headers["Retry-After"] = str(error.retry_after)
    return response


@feedback.route("/feedback", methods=["GET", "POST"])
@unit_of_work
def give() -> Any:
    """Ask what the person was trying to do and what could be better."""
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            ratelimit.count_feedback()
        except ratelimit.TooManyAttempts as error:
            return _too_much(error)
        if not first_submission(form):
            return redirect(url_for("feedback.sent"))
        answers = FeedbackAnswers(
            trying_to_do=form.trying_to_do.data or "",
            could_be_better=form.could_be_better.data or "",
            reply_email=form.reply_email.data or "",
        )
        with answering(form):
            give_feedback(db.session, answers, page=_referrer())
            return redirect(url_for("feedback.sent"))
    return form_page("pages/feedback/give.html", form=form)


@feedback.get("/feedback/sent")
@unit_of_work
def sent() -> str:
    """Thank the person for their feedback."""
    return render_template("pages/feedback/sent.html")


@feedback.get("/admin/feedback")
@roles_required(Role.ADMINISTRATOR)
@unit_of_work
def received() -> str:
    """Feedback people have given, newest first, for platform administrators."""
    page = page_number()
    result = feedback_received(db.session, signed_in_user().id, page=page, per_page=PER_PAGE)
    return render_template(
        "pages/feedback/received.html",
        result=result,
        when=when,
        pagination=pagination(page, result.pages, "feedback.received"),
    )
