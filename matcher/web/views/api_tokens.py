"""API tokens: create one (its secret shown once), list them, revoke one.

The secret is rendered in the response to the form that created it, never stored in the
session (a signed cookie, which anyone holding it can read) and never cached.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from matcher.clock import LONDON
from matcher.extensions import db
from matcher.models import ApiToken, Membership, Organisation, Role, utcnow
from matcher.services import api_tokens as service
from matcher.services.memberships import organisations_of
from matcher.web.auth import login_required, signed_in_user
from matcher.web.forms import submitted_id
from matcher.web.forms.api_tokens import NewTokenForm, RevokeTokenForm
from matcher.web.once import first_submission
from matcher.web.pages import form_page
from matcher.web.unit_of_work import answering, unit_of_work

api_tokens = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")

# The secret must not outlive the page in any cache, shared or the browser's own.
NO_STORE = {"Cache-Control": "no-store"}


def end_of_day(day: date) -> datetime:
    """The instant a token given ``day`` as its expiry date stops working: UK midnight after."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON)


def _memberships() -> list[Membership]:
    user = signed_in_user()
    if user.role != Role.ORGANISATION_MEMBER:
        return []
    return organisations_of(db.session, user.id)


def _own_token(token_id: int) -> ApiToken:
    """One of the signed-in person's working tokens; 404 for anyone else's or a revoked one."""
    for token in service.list_tokens(db.session, signed_in_user().id):
        if token.id == token_id:
            return token
    abort(404)


@api_tokens.get("")
@login_required
@unit_of_work
def index() -> str:
    """The person's tokens: name, first characters, when made, last used and expiring."""
    tokens = service.list_tokens(db.session, signed_in_user().id)
    return render_template(
        "pages/api_tokens/index.html",
        tokens=tokens,
        now=utcnow(),
        is_member=signed_in_user().role == Role.ORGANISATION_MEMBER,
    )


@api_tokens.route("/new", methods=["GET", "POST"])
@login_required
@unit_of_work
def new() -> Any:
    """Name a token and create it; the page that answers shows its secret, once."""
    user = signed_in_user()
    memberships = _memberships()
    if user.role == Role.ORGANISATION_MEMBER and not memberships:
        return render_template("pages/api_tokens/no_organisation.html")
    form = NewTokenForm()
    form.prepare(memberships)
    if form.validate_on_submit():
        if not first_submission(form):
            # A second click: the first request's page showed the secret, which is gone now.
            return redirect(url_for("api_tokens.index"))
        if "organisation_id" in form:
            organisation_id = submitted_id(form.organisation_id.data)
        else:
            organisation_id = memberships[0].organisation_id if memberships else None
        expires_on = form.expires_on.data
        with answering(form, field_names={"expires_at": "expires_on"}):
            token, secret = service.create_token(
                db.session,
                user.id,
                form.name.data or "",
                organisation_id=organisation_id,
                expires_at=end_of_day(expires_on) if expires_on else None,
            )
            page = render_template(
                "pages/api_tokens/created.html",
                token=token,
                secret=secret,
                expires_on=expires_on,
                organisation=db.session.get(Organisation, organisation_id)
                if organisation_id
                else None,
            )
            return page, 200, NO_STORE
    only = memberships[0].organisation if len(memberships) == 1 else None
    return form_page("pages/api_tokens/new.html", form=form, only=only)


@api_tokens.route("/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required
@unit_of_work
def revoke(token_id: int) -> Any:
    """Confirm, then revoke a token: requests bearing it are refused from then on."""
    token = _own_token(token_id)
    form = RevokeTokenForm()
    if form.validate_on_submit():
        # NotFound, a 404, when it was revoked in another tab a moment ago.
        service.revoke_token(db.session, signed_in_user().id, token.id)
        flash(f"The token {token.name} has been revoked", "success")
        return redirect(url_for("api_tokens.index"))
    if form.is_submitted():
        abort(400)
    return render_template("pages/api_tokens/revoke.html", token=token, form=form)
