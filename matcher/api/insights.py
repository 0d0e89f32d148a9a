"""The insights as open data: every table of the public page, counts under 5 suppressed."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from matcher.api.operations import operation
from matcher.api.schemas import Output
from matcher.extensions import db
from matcher.services.insights import HIDDEN_TEXT, Figure, public_insights

TAG = "Insights"


class FigureOut(Output):
    """One figure: a count, or a median in days; ``value`` is null when it is suppressed (see
    ``suppressed``) or there is nothing to measure yet."""

    value: float | None = Field(description="The count or median; null when not shown")
    suppressed: bool = Field(description=f'True when the figure is "{HIDDEN_TEXT}"')
    text: str = Field(description="The figure as the public page shows it")


class RowOut(Output):
    labels: list[str]
    figures: list[FigureOut]


class TableOut(Output):
    """One table of the insights page: label columns, then figure columns."""

    key: str
    title: str
    description: str
    note: str
    label_headings: list[str]
    headings: list[str]
    rows: list[RowOut]


class InsightsOut(Output):
    """The insights as the public page shows them; Open Government Licence v3.0."""

    counted_at: datetime
    licence: str
    tables: list[TableOut]


def _figure(figure: Figure) -> FigureOut:
    return FigureOut(value=figure.value, suppressed=figure.hidden, text=figure.text)


@operation(
    "GET",
    "/insights",
    summary="How people and practice flow between central and local government",
    tag=TAG,
    response=InsightsOut,
    public=True,
)
def get_insights() -> InsightsOut:
    """Every table of the public insights page, with any count under 5 (and any count that
    would give one away) suppressed. Open data: no token needed."""
    found = public_insights(db.session)
    return InsightsOut(
        counted_at=found.counted_at,
        licence="Open Government Licence v3.0",
        tables=[
            TableOut(
                key=t.key,
                title=t.title,
                description=t.description,
                note=t.note,
                label_headings=list(t.label_headings),
                headings=list(t.headings),
                rows=[
                    RowOut(labels=list(r.labels), figures=[_figure(f) for f in r.figures])
                    for r in t.rows
                ],
            )
            for t in found.tables
        ],
    )
