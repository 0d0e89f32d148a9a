"""Pages anyone can see without signing in."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import Organisation, Placement, PlacementStatus, VerificationStatus

public = Blueprint("public", __name__)


@public.get("/")
def home():
    """Say what the service is for and how much is on offer."""
    open_placements = db.session.scalar(
        select(func.count()).select_from(Placement).where(Placement.status == PlacementStatus.OPEN)
    )
    organisations = db.session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(Organisation.status == VerificationStatus.VERIFIED)
    )
    return render_template(
        "pages/home.html", open_placements=open_placements, organisations=organisations
    )
