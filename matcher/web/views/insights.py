"""Insights: the public page, the administrators' raw counts, and a CSV of every table.

Both pages render the same template from ``services.insights``; the public one, its CSV files
and the open data in ``/api/v1/insights`` all take ``public_insights``, where suppression is
done once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from matcher.clock import LONDON
from matcher.extensions import db
from matcher.models import Role
from matcher.services.insights import (
    REFRESH_SECONDS,
    Insights,
    Table,
    count_again,
    public_insights,
    raw_insights,
)
from matcher.web.auth import roles_required, signed_in_user
from matcher.web.downloads import csv_download
from matcher.web.forms.actions import ActionForm
from matcher.web.once import first_submission
from matcher.web.unit_of_work import unit_of_work

insights = Blueprint("insights", __name__)

# A chart of more bars than this shows only the largest; a reader scans the table for the rest.
MOST_BARS = 12
# The public page's tables as HTML, for the snapshot they were rendered from.
_rendered: dict[tuple[datetime, bool], Markup] = {}


def series_of(table: Table) -> list[tuple[str, list[Any]]]:
    """A table's columns as a line chart's series: a hidden figure is a gap."""
    return [
        (heading, [None if row.figures[i].hidden else row.figures[i].value for row in table.rows])
        for i, heading in enumerate(table.headings)
    ]


def bars_of(table: Table) -> tuple[list[tuple[str, Any]], int]:
    """A table's first column as a bar chart's rows, the largest ``MOST_BARS`` of them (every
    row is in the table beside it), and the count a full bar stands for."""
    shown = [row for row in table.rows if not row.figures[0].hidden]
    largest = sorted(shown, key=lambda row: -(row.figures[0].value or 0))[:MOST_BARS]
    if len(table.rows) <= MOST_BARS:
        largest = list(table.rows)
    bars = [
        (row.label, row.figures[0].text if row.figures[0].hidden else row.figures[0].value)
        for row in largest
    ]
    return bars, max((int(row.figures[0].value or 0) for row in shown), default=0)


def _tables(found: Insights, *, admin: bool) -> Markup:
    """The contents and every table with its chart, rendered once per snapshot and page."""
    key = (found.counted_at, admin)
    html = _rendered.get(key)
    if html is None:
        html = Markup(
            render_template(
                "pages/insights/_tables.html",
                insights=found,
                csv_endpoint="insights.admin_csv" if admin else "insights.public_csv",
                series_of=series_of,
                bars_of=bars_of,
                most_bars=MOST_BARS,
            )
        )
        if len(_rendered) > 1:
            _rendered.clear()
        _rendered[key] = html
    return html


def _page(found: Insights, *, admin: bool) -> str:
    counted_at = found.counted_at.astimezone(LONDON)
    return render_template(
        "pages/insights/index.html",
        admin=admin,
        counted_at=f"{counted_at:%H:%M} on {counted_at.day} {counted_at:%B %Y}",
        refresh_minutes=REFRESH_SECONDS // 60,
        tables=_tables(found, admin=admin),
    )


def _csv(found: Insights, key: str, filename: str) -> Response:
    """One table as CSV: its label columns, then its figures as the page shows them."""
    table = next((t for t in found.tables if t.key == key), None)
    if table is None:
        abort(404)
    return csv_download(
        f"{filename}-{key}.csv",
        [*table.label_headings, *table.headings],
        ([*row.labels, *(_cell(f) for f in row.figures)] for row in table.rows),
    )


def _cell(figure: Any) -> str:
    if figure.hidden or figure.value is None:
        return figure.text
    return str(figure.value)


@insights.get("/insights")
@unit_of_work
def public_page() -> str:
    """How people and practice flow between central and local government, counts under 5
    suppressed."""
    return _page(public_insights(db.session), admin=False)


@insights.get("/insights/<key>.csv")
@unit_of_work
def public_csv(key: str) -> Response:
    """One table of the public page as CSV, suppressed as the page is."""
    return _csv(public_insights(db.session), key, "insights")


@insights.get("/admin/insights")
@roles_required(Role.ADMINISTRATOR)
@unit_of_work
def admin_page() -> str:
    """The insights with raw counts, for platform administrators."""
    return _page(raw_insights(db.session, signed_in_user().id), admin=True)


@insights.post("/admin/insights/count-again")
@roles_required(Role.ADMINISTRATOR)
@unit_of_work
def admin_count_again() -> WerkzeugResponse:
    """Count every table now, for the public page too, then show the raw counts."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if first_submission(form):
        count_again(db.session, signed_in_user().id)
        flash("The figures have been counted again", "success")
    return redirect(url_for("insights.admin_page"))


@insights.get("/admin/insights/<key>.csv")
@roles_required(Role.ADMINISTRATOR)
@unit_of_work
def admin_csv(key: str) -> Response:
    """One table of the raw insights as CSV."""
    return _csv(raw_insights(db.session, signed_in_user().id), key, "insights-raw")
