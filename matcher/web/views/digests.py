"""Digest pages: one-click unsubscribe (RFC 8058), the preview of the next digest, a digest as
sent, preferences."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from config import Settings
from matcher.clock import LONDON
from matcher.digests.archive import sent_digest
from matcher.digests.content import load_contents
from matcher.digests.links import user_from_unsubscribe_token
from matcher.digests.periods import period_for
from matcher.digests.rendering import template_context
from matcher.extensions import db
from matcher.http.extensions import csrf
from matcher.models import DigestFrequency, DigestKind, Role, utcnow
from matcher.security.tokens import InvalidToken
from matcher.services import digest_preferences
from matcher.web.auth import current_user, login_required
from matcher.web.unit_of_work import unit_of_work

digests = Blueprint("digests", __name__)


def _user_id_or_400(token: str) -> int:
    try:
        return user_from_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    except InvalidToken:
        abort(400, description="This unsubscribe link is not valid. Check you copied all of it.")


@digests.get("/digests/unsubscribe/<token>")
@unit_of_work
def confirm_unsubscribe(token: str):
    """Ask the person to confirm; a GET must change nothing (link scanners follow links)."""
    _user_id_or_400(token)
    return render_template("pages/digests/unsubscribe.html")


# The one-click endpoint: mail clients POST here without cookies, so there is no session for a
# CSRF token to protect. The token in the path is the authority, and all it can do is stop
# emails, so the confirmation page's form posts here too and needs no CSRF token either.
@digests.post("/digests/unsubscribe/<token>")
@csrf.exempt
@unit_of_work
def unsubscribe(token: str):
    """Stop digests to the token's owner; harmless to repeat."""
    user_id = _user_id_or_400(token)
    if not digest_preferences.unsubscribe(db.session, user_id):
        abort(400, description="This unsubscribe link is for an account that no longer exists.")
    current_app.logger.info("user %s unsubscribed from digests", user_id)
    return render_template("pages/digests/unsubscribed.html")


def preview_context(user_id: int) -> dict:
    """The digest template context for a user's next digest, as of now."""
    settings: Settings = current_app.config["MATCHER_SETTINGS"]
    profile = current_user.profile
    daily = profile is not None and profile.digest_frequency == DigestFrequency.DAILY
    kind = DigestKind.DAILY if daily else DigestKind.WEEKLY
    now = utcnow()
    content = load_contents(db.session, [user_id], kind, now)[user_id]
    return template_context(
        settings, current_app.config["SECRET_KEY"], content, period_for(kind, now)
    )


@digests.get("/digest")
@login_required
@unit_of_work
def preview():
    """Show the signed-in user what their next digest will say."""
    suppressed = digest_preferences.is_suppressed(db.session, current_user)
    return render_template(
        "pages/digests/preview.html", suppressed=suppressed, **preview_context(current_user.id)
    )


@digests.get("/digest/<int:delivery_id>")
@login_required
@unit_of_work
def sent(delivery_id: int):
    """Show the signed-in person a digest they were sent, as it was sent ("see it on the web")."""
    found = sent_digest(db.session, current_user.id, delivery_id)
    context = template_context(
        current_app.config["MATCHER_SETTINGS"],
        current_app.config["SECRET_KEY"],
        found.content,
        found.period,
        delivery_id,
    )
    sent_at = found.sent_at.astimezone(LONDON)
    heading = f"Your {context['kind']} digest for {context['period_description']}"
    return render_template(
        "pages/digests/sent.html",
        heading=heading,
        sent_on=f"{sent_at.day} {sent_at:%B %Y} at {sent_at:%H:%M}",
        **context,
    )


def _choices(user) -> list[tuple[DigestFrequency, str]]:
    # Organisation members get weekly digests only; civil servants may choose daily.
    choices = [(DigestFrequency.WEEKLY, "Weekly, on Monday mornings")]
    if user.role == Role.CIVIL_SERVANT:
        choices.append((DigestFrequency.DAILY, "Daily, each morning"))
    choices.append((DigestFrequency.NEVER, "No digest emails"))
    return choices


def _current_frequency(user, suppressed: bool) -> DigestFrequency:
    if suppressed:
        return DigestFrequency.NEVER
    if user.profile is not None and user.profile.digest_frequency is not None:
        return user.profile.digest_frequency
    return DigestFrequency.WEEKLY if user.role != Role.CIVIL_SERVANT else DigestFrequency.NEVER


@digests.route("/digest/preferences", methods=["GET", "POST"])
@login_required
@unit_of_work
def preferences():
    """How often the signed-in person gets digests; for anyone, profile or not."""
    user = current_user._get_current_object()
    choices = _choices(user)
    suppressed = digest_preferences.is_suppressed(db.session, user)
    error = None
    if request.method == "POST":
        wanted = {choice.value: choice for choice, _ in choices}.get(request.form.get("frequency"))
        if wanted is not None:
            digest_preferences.set_digest_frequency(db.session, user, wanted)
            flash("Your email preferences have been saved", "success")
            return redirect(url_for("digests.preferences"))
        error = "Select how often you want digest emails"
    return render_template(
        "pages/digests/preferences.html",
        choices=choices,
        current=_current_frequency(user, suppressed).value,
        suppressed=suppressed,
        error=error,
    )
