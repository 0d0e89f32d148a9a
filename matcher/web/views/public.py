"""Pages anyone can see without signing in."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import Organisation, Placement, PlacementStatus, Role, User, VerificationStatus
from matcher.services.access import membership_of
from matcher.services.organisation_queries import public_organisation
from matcher.services.organisations import KIND_NAMES as ORGANISATION_KIND_NAMES
from matcher.services.reflections import quotes_for
from matcher.web.auth import get_current_user
from matcher.web.guides import GUIDES
from matcher.web.unit_of_work import unit_of_work

public = Blueprint("public", __name__)


def _next_step(user: User | None) -> dict[str, str]:
    """Where the start button takes this person, and what it says."""
    if user is None:
        return {"href": url_for("accounts.register"), "text": "Start now"}
    if user.role == Role.ADMINISTRATOR:
        return {"href": url_for("admin.index"), "text": "Go to administration"}
    if user.role == Role.ORGANISATION_MEMBER:
        return {"href": url_for("organisations.mine"), "text": "Go to your organisation"}
    if user.profile is None or user.profile.completed_at is None:
        return {"href": url_for("profile.summary"), "text": "Start now"}
    return {"href": url_for("matches.your_matches"), "text": "See your matches"}


@public.get("/")
def home():
    """The start page: what the service is for, who can use it, and a way in."""
    open_placements = db.session.scalar(
        select(func.count()).select_from(Placement).where(Placement.status == PlacementStatus.OPEN)
    )
    organisations = db.session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(Organisation.status == VerificationStatus.VERIFIED)
    )
    return render_template(
        "pages/home.html",
        open_placements=open_placements,
        organisations=organisations,
        next_step=_next_step(get_current_user()),
        guides=GUIDES,
    )


@public.get("/organisations/<int:organisation_id>")
@unit_of_work
def organisation(organisation_id: int) -> str:
    """An organisation's public page: its open placements, and what its secondees learned."""
    page = public_organisation(db.session, organisation_id)
    viewer = get_current_user()
    member = viewer is not None and membership_of(db.session, viewer.id, organisation_id)
    return render_template(
        "pages/organisations/public.html",
        organisation=page.organisation,
        placements=page.open_placements,
        quotes=quotes_for(db.session, organisation_id),
        member=bool(member),
        kind_names=ORGANISATION_KIND_NAMES,
    )
