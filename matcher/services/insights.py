"""How people and practice flow between central and local government, counted in SQL.

``insights`` runs one aggregate query per table (never a Python loop over rows) and returns the
raw counts, which platform administrators see. ``public`` is the one place that suppresses
them for everyone else: the public page, its CSV downloads and ``/api/v1/insights`` all render
its answer. A count under ``SUPPRESS_BELOW`` is hidden ("fewer than 5"), and so is a second
count wherever one hidden count could be worked out from figures that add up (a row and its
total, two tables that count the same people), so no hidden count can be subtracted out.

Rural and urban: the postcode directory has no rural-urban column and the ONS classification
is not held here, so districts are grouped by how densely their postcodes lie (quarters of the
331 districts, by postcodes per occupied square kilometre; ``reference/data/
district_density.json``). The pages say that it is a proxy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import (
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

from matcher.clock import london_today, now
from matcher.models import (
    CivilServantProfile,
    Department,
    Interest,
    InterestStatus,
    InterestTransition,
    LocalAuthority,
    Match,
    Organisation,
    Placement,
    PlacementStatus,
    Region,
    Theme,
)
from matcher.models.insights import InsightsSnapshot
from matcher.models.placements import placement_themes
from matcher.models.reflections import Reflection, ReflectionSide
from matcher.services.access import load_actor, require_platform_admin
from matcher.services.completions import completed_placements
from matcher.services.organisations import KIND_NAMES
from matcher.sql_functions import days_between, month_of

SUPPRESS_BELOW = 5
# How often beat counts the public figures again (``workers.insights``).
REFRESH_SECONDS = 300
HIDDEN_TEXT = f"fewer than {SUPPRESS_BELOW}"
NO_REGION = "Remote, or no region given"
NO_DISTRICT = "Remote, or outside England and Wales"
# Quarters of the districts by postcodes per occupied square kilometre, sparsest first.
AREA_BANDS = (
    "Most rural quarter of districts",
    "Second most rural quarter",
    "Second most urban quarter",
    "Most urban quarter of districts",
)
FUNNEL_STEPS = (
    ("matched", "Matched"),
    ("interested", "Interested"),
    ("shortlisted", "Shortlisted"),
    ("offered", "Offered"),
    ("accepted", "Accepted"),
    ("completed", "Completed"),
)
RATINGS = ("1 (poor)", "2", "3", "4", "5 (excellent)")


@dataclass(frozen=True)
class Figure:
    """One number in a table: a count, or a median of ``basis`` measurements.

    ``value`` is None when there is nothing to show: a hidden figure (``hidden``), or a median
    of no measurements. ``basis`` is how many people or placements the figure stands on.
    """

    value: int | float | None
    basis: int
    hidden: bool = False

    @property
    def text(self) -> str:
        """The figure as a reader sees it."""
        if self.hidden:
            return HIDDEN_TEXT
        if self.value is None:
            return "none yet"
        if isinstance(self.value, float):
            return f"{self.value:.1f}"
        return f"{self.value:,}"


def count(value: int) -> Figure:
    return Figure(value, value)


@dataclass(frozen=True)
class Row:
    """A row: its labels (one per label column) and one figure per figure column."""

    labels: tuple[str, ...]
    figures: tuple[Figure, ...]

    @property
    def label(self) -> str:
        return ", ".join(self.labels)


@dataclass(frozen=True)
class Table:
    """One table of the insights, drawn as a chart beside it (a bar chart of its first figure
    column, or a line chart of every column over the months)."""

    key: str
    title: str
    description: str
    label_headings: tuple[str, ...]
    headings: tuple[str, ...]
    rows: tuple[Row, ...]
    chart: Literal["bar", "line"]
    note: str = ""


# A cell: (table key, row index, figure index).
Cell = tuple[str, int, int]


@dataclass(frozen=True)
class Insights:
    """Every table, the groups of cells that add up to each other, and when they were counted."""

    tables: tuple[Table, ...]
    # Each group's cells are tied by a sum: any one of them follows from all the others.
    sums: tuple[tuple[Cell, ...], ...]
    counted_at: datetime
    suppressed: bool = False

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def raw_insights(session: Session, actor_id: int) -> Insights:
    """Every table with its raw counts, for a platform administrator only: the newest snapshot,
    or counted now if there is none yet."""
    require_platform_admin(load_actor(session, actor_id), "read the raw insights")
    document = session.scalars(
        select(InsightsSnapshot.document).order_by(InsightsSnapshot.counted_at.desc()).limit(1)
    ).first()
    return from_document(document) if document is not None else insights(session)


def count_again(session: Session, actor_id: int) -> Insights:
    """Count every table now, for a platform administrator who will not wait for beat."""
    require_platform_admin(load_actor(session, actor_id), "count the insights again")
    return refresh_snapshot(session)


def public_insights(session: Session) -> Insights:
    """Every table as anyone may see it, counts under 5 suppressed: from the newest snapshot
    (``refresh_snapshot``, run by beat every ``REFRESH_SECONDS``), counted now if none yet."""
    newest = session.execute(
        select(InsightsSnapshot.id, InsightsSnapshot.counted_at)
        .order_by(InsightsSnapshot.counted_at.desc())
        .limit(1)
    ).one_or_none()
    if newest is None:
        return public(insights(session))
    found = _suppressed_snapshots.get(tuple(newest))
    if found is None:
        document = session.scalars(
            select(InsightsSnapshot.document).where(InsightsSnapshot.id == newest.id)
        ).one()
        found = public(from_document(document))
        # A snapshot never changes: each process suppresses the newest once, and keeps only it.
        _suppressed_snapshots.clear()
        _suppressed_snapshots[tuple(newest)] = found
    return found


_suppressed_snapshots: dict[tuple[int, datetime], Insights] = {}


def refresh_snapshot(session: Session) -> Insights:
    """Count everything now and keep it as the newest snapshot; older ones are deleted."""
    counted = insights(session)
    session.execute(
        delete(InsightsSnapshot).where(InsightsSnapshot.counted_at < counted.counted_at)
    )
    session.add(InsightsSnapshot(counted_at=counted.counted_at, document=to_document(counted)))
    session.flush()
    return counted


def to_document(found: Insights) -> dict[str, Any]:
    """``found`` as JSON, to keep in a snapshot."""
    return {
        "counted_at": found.counted_at.isoformat(),
        "sums": [[list(cell) for cell in group] for group in found.sums],
        "tables": [
            {
                **{
                    name: getattr(table, name)
                    for name in ("key", "title", "description", "chart", "note")
                },
                "label_headings": list(table.label_headings),
                "headings": list(table.headings),
                "rows": [
                    [list(row.labels), [[f.value, f.basis] for f in row.figures]]
                    for row in table.rows
                ],
            }
            for table in found.tables
        ],
    }


def from_document(document: dict[str, Any]) -> Insights:
    """The raw insights a snapshot kept (``to_document``)."""
    return Insights(
        tables=tuple(
            Table(
                key=t["key"],
                title=t["title"],
                description=t["description"],
                label_headings=tuple(t["label_headings"]),
                headings=tuple(t["headings"]),
                rows=tuple(
                    Row(tuple(labels), tuple(Figure(value, basis) for value, basis in figures))
                    for labels, figures in t["rows"]
                ),
                chart=t["chart"],
                note=t["note"],
            )
            for t in document["tables"]
        ),
        sums=tuple(tuple((k, r, f) for k, r, f in group) for group in document["sums"]),
        counted_at=datetime.fromisoformat(document["counted_at"]),
    )


def insights(session: Session) -> Insights:
    """Every table, with raw counts (see ``raw_insights`` and ``public_insights``)."""
    today = london_today()
    tables = (
        *_placed(session),
        _placements_by(session, "by-region", "region"),
        _placements_by(session, "by-theme", "theme"),
        _funnel(session, today),
        _ratings(session),
        _areas(session),
        _months(session, today),
    )
    return Insights(tables, tuple(_sums(tables)), now())


def public(raw: Insights) -> Insights:
    """``raw`` with every count under 5, and any count that would give one away, hidden."""
    hidden: set[Cell] = {
        (table.key, r, f)
        for table in raw.tables
        for r, row in enumerate(table.rows)
        for f, figure in enumerate(row.figures)
        if figure.basis < SUPPRESS_BELOW
    }
    values = {
        (table.key, r, f): figure.basis
        for table in raw.tables
        for r, row in enumerate(table.rows)
        for f, figure in enumerate(row.figures)
    }
    changed = True
    while changed:
        changed = False
        for group in raw.sums:
            shown = [cell for cell in group if cell not in hidden]
            if len(shown) == len(group) - 1 and shown:
                hidden.add(min(shown, key=lambda cell: (values[cell], cell)))
                changed = True
    tables = tuple(
        replace(
            table,
            rows=tuple(
                replace(
                    row,
                    figures=tuple(
                        Figure(None, 0, hidden=True) if (table.key, r, f) in hidden else figure
                        for f, figure in enumerate(row.figures)
                    ),
                )
                for r, row in enumerate(table.rows)
            ),
        )
        for table in raw.tables
    )
    return replace(raw, tables=tables, suppressed=True)


def _cells(table: Table, figure: int, rows: Iterable[int] | None = None) -> tuple[Cell, ...]:
    wanted = range(len(table.rows)) if rows is None else rows
    return tuple((table.key, r, figure) for r in wanted)


def _sums(tables: Sequence[Table]) -> list[tuple[Cell, ...]]:
    """The sums the tables' counts obey, so ``public`` can keep a hidden count hidden."""
    by_key = {table.key: table for table in tables}
    region, kind = by_key["placed-by-region"], by_key["placed-by-kind"]
    areas, months = by_key["areas"], by_key["months"]
    accepted = (("funnel", _step_index("accepted"), 0),)
    interested = (("funnel", _step_index("interested"), 0),)
    completed = (("funnel", _step_index("completed"), 0),)
    sums: list[tuple[Cell, ...]] = []
    # People placed, counted four ways, and in all by the funnel's "accepted".
    placed = [_cells(region, 0), _cells(kind, 0), _cells(areas, 1), _cells(months, 2), accepted]
    posted = [
        _cells(by_key["by-region"], 0),
        _cells(areas, 0),
        _cells(months, 0),
    ]
    for ways in (placed, posted):
        sums += [a + b for i, a in enumerate(ways) for b in ways[i + 1 :]]
    sums.append(_cells(months, 1) + interested)
    sums.append(_cells(months, 3) + completed)
    # Each department's people, by region and by kind of organisation.
    for department in {row.labels[0] for row in region.rows}:
        sums.append(
            _cells(region, 0, [i for i, r in enumerate(region.rows) if r.labels[0] == department])
            + _cells(kind, 0, [i for i, r in enumerate(kind.rows) if r.labels[0] == department])
        )
    # Placements posted: filled, still open and closed unfilled add up to each row's posted.
    for key in ("by-region", "by-theme"):
        table = by_key[key]
        sums += [tuple((key, r, f) for f in range(4)) for r in range(len(table.rows))]
    return sums


def _step_index(step: str) -> int:
    return [key for key, _ in FUNNEL_STEPS].index(step)


def _region_name() -> ColumnElement[str]:
    return func.coalesce(Region.name, literal(NO_REGION))


def _placed(session: Session) -> tuple[Table, Table]:
    """People placed (accepted offers) from each department to each region, and kind."""
    department = func.coalesce(Department.name, literal("Department not given"))
    base = (
        select(department.label("department"))
        .select_from(Interest)
        .join(Placement, Placement.id == Interest.placement_id)
        .join(Organisation, Organisation.id == Placement.organisation_id)
        .outerjoin(CivilServantProfile, CivilServantProfile.user_id == Interest.person_id)
        .outerjoin(Department, Department.id == CivilServantProfile.department_id)
        .where(Interest.status == InterestStatus.ACCEPTED)
    )
    region_code = func.coalesce(Placement.region_code, Organisation.region_code)
    region = _region_name()
    by_region = session.execute(
        base.add_columns(region.label("region"), func.count().label("n"))
        .outerjoin(Region, Region.code == region_code)
        .group_by(department, region)
        .order_by(department, region)
    ).all()
    by_kind = session.execute(
        base.add_columns(Organisation.kind, func.count().label("n"))
        .group_by(department, Organisation.kind)
        .order_by(department, Organisation.kind)
    ).all()
    return (
        Table(
            "placed-by-region",
            "People placed, by department and region",
            "Accepted offers, by the person's department and the region of the placement.",
            ("Department", "Region"),
            ("People placed",),
            tuple(Row((d, r), (count(n),)) for d, r, n in by_region),
            "bar",
        ),
        Table(
            "placed-by-kind",
            "People placed, by department and kind of organisation",
            "Accepted offers, by the person's department and the kind of organisation.",
            ("Department", "Kind of organisation"),
            ("People placed",),
            tuple(Row((d, KIND_NAMES[k]), (count(n),)) for d, k, n in by_kind),
            "bar",
        ),
    )


def _posted() -> ColumnElement[bool]:
    """Placements that were published: every one but a draft."""
    return and_(Placement.published_at.is_not(None), Placement.status != PlacementStatus.DRAFT)


PLACEMENT_HEADINGS = ("Posted", "Filled", "Still open", "Closed unfilled")


def _placement_counts() -> list[ColumnElement[int]]:
    def how_many(*statuses: PlacementStatus) -> ColumnElement[int]:
        return func.count(case((Placement.status.in_(statuses), 1)))

    return [
        func.count(),
        how_many(PlacementStatus.FILLED),
        how_many(PlacementStatus.OPEN),
        how_many(PlacementStatus.CLOSED, PlacementStatus.WITHDRAWN),
    ]


def _placements_by(session: Session, key: str, by: Literal["region", "theme"]) -> Table:
    """Placements posted (published), filled, still open and closed unfilled."""
    published = _posted()
    if by == "region":
        name = _region_name()
        query = (
            select(name, *_placement_counts())
            .select_from(Placement)
            .outerjoin(Region, Region.code == Placement.region_code)
            .where(published)
            .group_by(name)
            .order_by(name)
        )
        title, description = "Placements by region", "Placements posted in each region"
    else:
        query = (
            select(Theme.name, *_placement_counts())
            .select_from(Placement)
            .join(placement_themes, placement_themes.c.placement_id == Placement.id)
            .join(Theme, Theme.id == placement_themes.c.theme_id)
            .where(published)
            .group_by(Theme.name)
            .order_by(Theme.name)
        )
        title = "Placements by policy theme"
        description = "Placements posted on each policy theme (a placement may have several)"
    rows = session.execute(query).all()
    return Table(
        key,
        title,
        description + ": filled, still open, and closed or withdrawn without being filled.",
        (by.capitalize(),),
        PLACEMENT_HEADINGS,
        tuple(Row((label,), tuple(count(n) for n in counts)) for label, *counts in rows),
        "bar",
    )


def _first_reached() -> Select[Any]:
    """One row per interest: when it first reached each status (NULL if it never did)."""
    status = InterestTransition.to_status

    def first(reached: InterestStatus) -> ColumnElement[datetime]:
        return func.min(case((status == reached, InterestTransition.at))).label(reached.value)

    return select(
        InterestTransition.interest_id,
        *(
            first(s)
            for s in (
                InterestStatus.INTERESTED,
                InterestStatus.SHORTLISTED,
                InterestStatus.OFFERED,
                InterestStatus.ACCEPTED,
            )
        ),
    ).group_by(InterestTransition.interest_id)


def _funnel(session: Session, today: date) -> Table:
    """Matched -> interested -> shortlisted -> offered -> accepted -> completed, with the
    median days between each step and the next."""
    reached = _first_reached().cte("reached")
    done = completed_placements(today).subquery("done")
    steps = select(
        reached.c.interested,
        reached.c.shortlisted,
        reached.c.offered,
        reached.c.accepted,
        done.c.ended_on,
    ).select_from(reached.outerjoin(done, done.c.interest_id == reached.c.interest_id))
    steps_cte = steps.cte("steps")
    counts = session.execute(
        select(
            func.count(steps_cte.c.interested),
            func.count(steps_cte.c.shortlisted),
            func.count(steps_cte.c.offered),
            func.count(steps_cte.c.accepted),
            func.count(steps_cte.c.ended_on),
        )
    ).one()
    pairs = [
        ("shortlisted", steps_cte.c.interested, steps_cte.c.shortlisted),
        ("offered", steps_cte.c.shortlisted, steps_cte.c.offered),
        ("accepted", steps_cte.c.offered, steps_cte.c.accepted),
        ("completed", steps_cte.c.accepted, steps_cte.c.ended_on),
    ]
    gaps = union_all(
        *(
            select(literal(step).label("step"), days_between(start, end).label("days")).where(
                start.is_not(None), end.is_not(None)
            )
            for step, start, end in pairs
        )
    ).subquery("gaps")
    medians = {step: (median, n) for step, median, n in session.execute(_medians(gaps))}
    # An interest is taken on a match, and the match leaves the stored list once it is taken:
    # pairs matched are those still listed plus every pair someone took further.
    still_listed = session.scalar(
        select(func.count())
        .select_from(Match)
        .where(
            ~exists().where(
                Interest.person_id == Match.person_id,
                Interest.placement_id == Match.placement_id,
            )
        )
    )
    by_step = dict(
        zip(
            [key for key, _ in FUNNEL_STEPS],
            [(still_listed or 0) + counts[0], *counts],
            strict=True,
        )
    )
    rows = []
    for key, name in FUNNEL_STEPS:
        median, n = medians.get(key, (None, 0))
        days = Figure(round(float(median), 1) if median is not None else None, n)
        rows.append(Row((name,), (count(by_step[key]), days)))
    return Table(
        "funnel",
        "From match to completed placement",
        "How many pairs of a person and a placement reached each step, and the median days "
        "each step took from the one before.",
        ("Step",),
        ("Pairs", "Median days from the step before"),
        tuple(rows),
        "bar",
        note="Matched counts the pairs matched now and every pair someone showed interest in; "
        "when a match was first shown is not kept, so the days from matched to interested "
        "are not measured.",
    )


def _medians(gaps: Any) -> Select[Any]:
    """The median of ``gaps.days`` for each ``gaps.step``, in SQL both databases run."""
    ordered = select(
        gaps.c.step,
        gaps.c.days,
        func.row_number().over(partition_by=gaps.c.step, order_by=gaps.c.days).label("i"),
        func.count().over(partition_by=gaps.c.step).label("n"),
    ).subquery("ordered")
    middle = or_(
        ordered.c.i == (ordered.c.n + 1) // 2,
        ordered.c.i == (ordered.c.n + 2) // 2,
    )
    return (
        select(ordered.c.step, func.avg(ordered.c.days), func.max(ordered.c.n))
        .where(middle)
        .group_by(ordered.c.step)
    )


def _ratings(session: Session) -> Table:
    """Ratings (1 to 5) the secondees and the host organisations gave their placements."""
    rows = session.execute(
        select(Reflection.rating, Reflection.side, func.count())
        .where(Reflection.submitted_at.is_not(None))
        .group_by(Reflection.rating, Reflection.side)
    ).all()
    found = {(rating, side): n for rating, side, n in rows}
    return Table(
        "ratings",
        "How people rated their placements",
        "Reflections received after placements ended, by the rating from 1 (poor) to 5 "
        "(excellent), from the secondees and from the host organisations.",
        ("Rating",),
        ("Secondees", "Host organisations"),
        tuple(
            Row(
                (name,),
                tuple(
                    count(found.get((rating, side), 0))
                    for side in (ReflectionSide.SECONDEE, ReflectionSide.HOST)
                ),
            )
            for rating, name in enumerate(RATINGS, start=1)
        ),
        "bar",
    )


def _areas(session: Session) -> Table:
    """Placements posted and people placed in the sparsest to the densest districts."""
    band = (
        select(
            LocalAuthority.code,
            func.ntile(len(AREA_BANDS))
            .over(order_by=(LocalAuthority.postcode_density, LocalAuthority.code))
            .label("band"),
        )
        .where(LocalAuthority.postcode_density.is_not(None))
        .subquery("band")
    )
    accepted = (
        select(Interest.placement_id, func.count().label("n"))
        .where(Interest.status == InterestStatus.ACCEPTED)
        .group_by(Interest.placement_id)
        .subquery("accepted")
    )
    rows = session.execute(
        select(
            band.c.band,
            func.count(),
            func.coalesce(func.sum(accepted.c.n), 0),
        )
        .select_from(Placement)
        .outerjoin(band, band.c.code == Placement.local_authority_code)
        .outerjoin(accepted, accepted.c.placement_id == Placement.id)
        .where(_posted())
        .group_by(band.c.band)
    ).all()
    found = {b: (posted, placed) for b, posted, placed in rows}
    names = [*AREA_BANDS, NO_DISTRICT]
    keys: list[int | None] = [*range(1, len(AREA_BANDS) + 1), None]
    return Table(
        "areas",
        "Rural and urban areas reached",
        "Placements posted, and people placed, in each quarter of the local authority "
        "districts of England and Wales, from the most sparsely to the most densely settled.",
        ("Area",),
        ("Placements posted", "People placed"),
        tuple(
            Row((name,), tuple(count(int(n)) for n in found.get(key, (0, 0))))
            for name, key in zip(names, keys, strict=True)
        ),
        "bar",
        note="This is a proxy, not the ONS Rural-Urban Classification: the postcode directory "
        "we hold has no rural-urban column, so the 331 districts are put in quarters by how "
        "many postcodes lie in each square kilometre that holds any, counted from the ONS "
        "Postcode Directory.",
    )


def _months(session: Session, today: date) -> Table:
    """Each month: placements posted, interests expressed, people placed, placements completed."""
    reached = _first_reached().subquery("reached")
    done = completed_placements(today).subquery("done")
    series = [
        select(month_of(Placement.published_at).label("month"), literal(0).label("series")).where(
            _posted()
        ),
        select(month_of(reached.c.interested), literal(1)).where(reached.c.interested.is_not(None)),
        select(month_of(reached.c.accepted), literal(2))
        .select_from(reached.join(Interest, Interest.id == reached.c.interest_id))
        .where(and_(reached.c.accepted.is_not(None), Interest.status == InterestStatus.ACCEPTED)),
        select(month_of(done.c.ended_on), literal(3)),
    ]
    events = union_all(*series).subquery("events")
    rows = session.execute(
        select(events.c.month, events.c.series, func.count())
        .group_by(events.c.month, events.c.series)
        .order_by(events.c.month)
    ).all()
    found = {(month, series): n for month, series, n in rows}
    months = _month_range(min((m for m, _, _ in rows), default=None), today)
    return Table(
        "months",
        "Month by month",
        "Placements posted, interests expressed, people placed (offers accepted) and "
        "placements completed, in each month.",
        ("Month",),
        ("Placements posted", "Interests expressed", "People placed", "Placements completed"),
        tuple(
            Row((_month_name(month),), tuple(count(found.get((month, s), 0)) for s in range(4)))
            for month in months
        ),
        "line",
    )


def _month_range(first: str | None, today: date) -> list[str]:
    """Every month from ``first`` (``YYYY-MM``) to this one; only this one when nothing yet."""
    year, month = (int(part) for part in first.split("-")) if first else (today.year, today.month)
    months = []
    while (year, month) <= (today.year, today.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _month_name(month: str) -> str:
    return date.fromisoformat(f"{month}-01").strftime("%B %Y")
