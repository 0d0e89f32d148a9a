"""The insights' SQL aggregates on hand-made data with known answers, and their suppression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.clock import set_now
from matcher.extensions import db
from matcher.models import CivilServantProfile, Department, Interest
from matcher.models.reflections import Reflection, ReflectionSide
from matcher.services import interests
from matcher.services.insights import (
    HIDDEN_TEXT,
    Figure,
    Insights,
    Row,
    Table,
    insights,
    public,
)
from matcher.services.organisations import KIND_NAMES
from tests.unit.services.world import World, draft, open_placement

START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
YORKSHIRE = "Yorkshire and The Humber"


def build_known_story(session: Session, world: World) -> str:
    """Two placements in Leeds and one in Eden (Cumbria), moved on set days; a department.

    The person is placed in Leeds: interested on 1 October, shortlisted 2 days later,
    offered 3 days after that, accepted a day later. The other person is interested in the
    second Leeds placement and shortlisted 4 days later. The Eden placement is posted but
    nobody comes; a draft is never counted. Returns the person's department's name.
    """
    department = session.scalars(select(Department).order_by(Department.id)).first()
    assert department is not None
    session.get(CivilServantProfile, world.person.id).department_id = department.id
    set_now(START)
    leeds = open_placement(session, world, title="Leeds social care secondment")
    second = open_placement(session, world, title="Leeds housing secondment")
    open_placement(session, world, title="Eden rural transport", location_postcode="CA11 7QF")
    draft(session, world, title="Unpublished draft")
    mine = interests.express_interest(session, world.person.id, leeds.id)
    theirs = interests.express_interest(session, world.other_person.id, second.id)
    for days, actor, interest, action in (
        (2, world.member_a, mine, interests.Action.SHORTLIST),
        (4, world.member_a, theirs, interests.Action.SHORTLIST),
    ):
        set_now(START + days * DAY)
        interests.transition(session, actor.id, interest.id, action)
    set_now(START + 5 * DAY)
    interests.offer(session, world.member_a.id, mine.id, "Start on the first Monday.")
    set_now(START + 6 * DAY)
    interests.accept_offer(session, world.person.id, mine.id)
    session.commit()
    set_now(START + 55 * DAY)
    return department.name


def figures(table: Table) -> dict[str, tuple[int | float | None, ...]]:
    return {row.label: tuple(f.value for f in row.figures) for row in table.rows}


def check_known_answers(session: Session, world: World) -> None:
    """Every table of ``insights`` on the known story, then after the placement has ended."""
    department = build_known_story(session, world)
    found = insights(session)
    kind = KIND_NAMES[world.org_a.kind]
    assert figures(found.table("placed-by-region")) == {f"{department}, {YORKSHIRE}": (1,)}
    assert figures(found.table("placed-by-kind")) == {f"{department}, {kind}": (1,)}
    assert figures(found.table("by-region")) == {
        "North West": (1, 0, 1, 0),
        YORKSHIRE: (2, 1, 1, 0),
    }
    themes = figures(found.table("by-theme"))
    assert list(themes.values()) == [(3, 1, 2, 0)], themes
    assert figures(found.table("funnel")) == {
        "Matched": (2, None),
        "Interested": (2, None),
        "Shortlisted": (2, 3.0),
        "Offered": (1, 3.0),
        "Accepted": (1, 1.0),
        "Completed": (0, None),
    }
    # Eden is among the sparsest quarter of districts, Leeds in the second densest.
    assert figures(found.table("areas")) == {
        "Most rural quarter of districts": (1, 0),
        "Second most rural quarter": (0, 0),
        "Second most urban quarter": (2, 1),
        "Most urban quarter of districts": (0, 0),
        "Remote, or outside England and Wales": (0, 0),
    }
    months = figures(found.table("months"))
    assert months["October 2026"] == (3, 2, 1, 0)
    assert months["November 2026"] == (0, 0, 0, 0)

    # 26 weeks from a start 60 days after 1 October: completed once that day has passed.
    ends = (START + 60 * DAY + 26 * 7 * DAY).date()
    set_now(datetime(ends.year, ends.month, ends.day, 12, tzinfo=UTC))
    later = insights(session)
    funnel = figures(later.table("funnel"))
    accepted_at = START + 6 * DAY
    assert funnel["Completed"] == (1, round((ends - accepted_at.date()).days - 0.375, 1))
    assert figures(later.table("months"))[ends.strftime("%B %Y")] == (0, 0, 0, 1)

    # Both sides reflect: the secondee rates it 4, the host 5.
    interest_id = session.scalars(
        select(Interest.id).where(Interest.person_id == world.person.id)
    ).one()
    for side, rating in ((ReflectionSide.SECONDEE, 4), (ReflectionSide.HOST, 5)):
        session.add(
            Reflection(
                interest_id=interest_id,
                side=side,
                organisation_id=world.org_a.id,
                ended_on=ends,
                closes_at=START + 400 * DAY,
                learned="How a council runs its care market.",
                recommend=True,
                rating=rating,
                submitted_at=START + 300 * DAY,
            )
        )
    session.commit()
    ratings = figures(insights(session).table("ratings"))
    assert ratings == {
        "1 (poor)": (0, 0),
        "2": (0, 0),
        "3": (0, 0),
        "4": (1, 0),
        "5 (excellent)": (0, 1),
    }


def test_the_aggregates_give_the_known_answers_on_sqlite(world: World):
    check_known_answers(db.session, world)


def _table(key: str, *rows: tuple[str, tuple[int, ...]]) -> Table:
    return Table(
        key,
        key,
        "",
        ("Group",),
        tuple(f"column {i}" for i in range(len(rows[0][1]))),
        tuple(Row((label,), tuple(Figure(n, n) for n in counts)) for label, counts in rows),
        "bar",
    )


def test_counts_under_5_are_hidden_and_so_is_one_that_a_sum_would_give_away():
    placements = _table(
        "placements",
        ("row of three small", (10, 3, 4, 3)),
        ("one small", (15, 5, 9, 1)),
        ("none small", (30, 10, 10, 10)),
    )
    months = _table("months", ("October", (25,)), ("November", (30,)))
    sums = (
        *(tuple(("placements", r, f) for f in range(4)) for r in range(3)),
        # The months count the same placements as the first column.
        (*(("placements", r, 0) for r in range(3)), ("months", 0, 0), ("months", 1, 0)),
    )
    raw = Insights((placements, months), sums, START)
    shown = public(raw)
    text = {row.label: [f.text for f in row.figures] for row in shown.table("placements").rows}
    assert text == {
        "row of three small": ["10", HIDDEN_TEXT, HIDDEN_TEXT, HIDDEN_TEXT],
        # 1 is hidden; then 5 is too, or 15 - 9 - 1 would give the 1 away.
        "one small": ["15", HIDDEN_TEXT, "9", HIDDEN_TEXT],
        "none small": ["30", "10", "10", "10"],
    }
    assert [f.text for row in shown.table("months").rows for f in row.figures] == ["25", "30"]
    assert shown.suppressed and not raw.suppressed
    hidden = [f for t in shown.tables for row in t.rows for f in row.figures if f.hidden]
    assert all(f.value is None and f.basis == 0 for f in hidden)


def test_a_median_of_fewer_than_5_measurements_is_hidden():
    table = Table(
        "funnel",
        "funnel",
        "",
        ("Step",),
        ("Pairs", "Median days"),
        (Row(("Shortlisted",), (Figure(12, 12), Figure(3.5, 4))),),
        "bar",
    )
    shown = public(Insights((table,), (), START))
    assert [f.text for f in shown.tables[0].rows[0].figures] == ["12", HIDDEN_TEXT]
