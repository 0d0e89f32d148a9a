"""When a placement someone accepted counts as completed: the one definition.

A placement is *completed* for a person when they accepted an offer for it (their interest is
``accepted``), the placement was not withdrawn, and its last day has passed: it ends on
``start_date + 7 * duration_weeks`` days, the day after its last (``placement_ends_on``). The
reflection job asks both sides for a reflection on each completed placement; the insights
funnel counts the same rows as its last step, accepted -> completed.

Places given by allocation rounds are not counted: a confirmed round result creates no
interest, so it has no accepted interest to end (a placement reached that way is a separate
source to add here, once rounds record who started where).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.sql.expression import ColumnElement

from matcher.models import Interest, InterestStatus, Placement, PlacementStatus
from matcher.sql_functions import placement_ends_on


def ends_on() -> ColumnElement[date]:
    """The end of ``Placement`` (the day after its last day), as an SQL expression."""
    return placement_ends_on(Placement.start_date, Placement.duration_weeks)


def completed_placements(today: date) -> Select[tuple[int, int, int, int, date]]:
    """Every completed placement on ``today``, one row per person and placement:
    ``interest_id``, ``person_id``, ``placement_id``, ``organisation_id``, ``ended_on``.

    A SELECT to filter, join or aggregate further (by month of ``ended_on``, say).
    """
    ended_on = ends_on()
    return (
        select(
            Interest.id.label("interest_id"),
            Interest.person_id,
            Interest.placement_id,
            Placement.organisation_id,
            ended_on.label("ended_on"),
        )
        .join(Placement, Placement.id == Interest.placement_id)
        .where(
            Interest.status == InterestStatus.ACCEPTED,
            Placement.status != PlacementStatus.WITHDRAWN,
            ended_on <= today,
        )
    )
