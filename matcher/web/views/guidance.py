"""Guidance a civil servant or an organisation reads before deciding to take part."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from matcher.web.guides import GUIDE_BY_SLUG, GUIDES

guidance = Blueprint("guidance", __name__, url_prefix="/guidance")


@guidance.get("")
def index() -> str:
    """List the guidance pages."""
    return render_template("pages/guidance/index.html", guides=GUIDES)


@guidance.get("/<slug>")
def show(slug: str) -> str:
    """One guidance page, with links to the others."""
    guide = GUIDE_BY_SLUG.get(slug) or abort(404)
    others = [other for other in GUIDES if other.slug != slug]
    return render_template(
        f"pages/guidance/{guide.slug.replace('-', '_')}.html", guide=guide, others=others
    )
