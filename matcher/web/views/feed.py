"""The Atom feed (RFC 4287) of new placements and practice notes; every page's head links it."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, render_template, url_for

from matcher.clock import now
from matcher.extensions import db
from matcher.services.feed import feed_entries

feed = Blueprint("feed", __name__)

ATOM = "application/atom+xml"


def _instant(at: datetime) -> str:
    """An RFC 3339 date-time in UTC, as Atom asks."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@feed.get("/feed.atom")
def atom() -> Response:
    """The newest placements open to interest and practice notes, newest first."""
    entries = feed_entries(db.session)
    shown = [
        {
            "url": url_for("placements.show", placement_id=e.id, _external=True)
            if e.kind == "placement"
            else url_for("practice_notes.show", note_id=e.id, _external=True),
            "prefix": "Placement: " if e.kind == "placement" else "Practice note: ",
            "title": e.title,
            "summary": e.summary,
            "organisation": e.organisation,
            "at": _instant(e.published_at),
        }
        for e in entries
    ]
    updated = _instant(entries[0].published_at if entries else now())
    body = render_template("feeds/atom.xml", entries=shown, updated=updated)
    return Response(body, mimetype=ATOM)
