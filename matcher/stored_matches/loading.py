"""Read people and placements into engine frames with a few bulk SELECTs (no ORM objects)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from sqlalchemy import Connection, Select, String, and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from config import Settings
from matcher.engine import EngineConfig, PeopleFrame, PlacementFrame, Weights
from matcher.models import (
    ACTIVE_INTEREST_STATUSES,
    CivilServantProfile,
    Dismissal,
    Interest,
    Organisation,
    Placement,
    PlacementStatus,
    Profession,
    Reflection,
    ReflectionSide,
    WantedKind,
)
from matcher.models.placements import placement_skills, placement_themes
from matcher.models.users import profile_skills, profile_themes
from matcher.sql_functions import day_number_of
from matcher.stored_matches.cores import matching_threads

POLICY_PROFESSION = "Policy"
# Placements whose text shapes the text model: everything that is or may become open. Filled
# and withdrawn ones are final; they are loaded only while someone's "not for me" or interest
# refers to them.
LIVE_STATUSES = (PlacementStatus.DRAFT, PlacementStatus.OPEN, PlacementStatus.CLOSED)


def host_ratings(session: Session) -> dict[int, tuple[float, int]]:
    """Each organisation's mean rating by its secondees' submitted reflections, and how many."""
    rows = session.execute(
        select(Reflection.organisation_id, func.avg(Reflection.rating), func.count())
        .where(Reflection.side == ReflectionSide.SECONDEE, Reflection.submitted_at.is_not(None))
        .group_by(Reflection.organisation_id)
    ).all()
    return {organisation_id: (float(mean), int(n)) for organisation_id, mean, n in rows}


def engine_config(settings: Settings, today: date) -> EngineConfig:
    """The engine's configuration from the application settings, for ``today``."""
    return EngineConfig(
        weights=Weights(
            **dict(settings.match_weights), host_rating=settings.match_weight_host_rating
        ),
        k=settings.match_k,
        block_size=settings.match_block_size,
        threads=matching_threads(),
        today=today,
    )


def _pairs(owner: Any, value: Any, ids: Sequence[int] | None, *where: Any) -> Select[Any]:
    """(owner, value) of the rows ``where`` allows, for all owners or only ``ids``."""
    return _restrict(select(owner, value).where(*where), owner, ids)


def _grouped(rows: list[tuple[Any, ...]]) -> dict[int, list[Any]]:
    """(owner, value) rows as each owner's values."""
    groups: dict[int, list[Any]] = defaultdict(list)
    for owner_id, found in rows:
        groups[owner_id].append(found)
    return groups


def _driver_rows(session: Session, query: Select[Any]) -> list[tuple[Any, ...]]:
    """``query``'s rows as the database driver returns them, for queries of numbers and text
    (a boolean may come as 0 or 1).

    SQLAlchemy's processing of each row cost 8 times the fetch itself for the hundreds of
    thousands of (owner, id) pairs of a full load; these values need none. The query's few
    parameters (ids, enum values) are rendered into it.
    """
    return _fetch(session.connection(), query)


def _fetch(connection: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _driver_rows_of_each(
    session: Session, queries: list[Select[Any]], side_by_side: bool
) -> Iterator[list[tuple[Any, ...]]]:
    """Each query's rows as ``_driver_rows`` gives them, in order.

    ``side_by_side`` on PostgreSQL: the queries run at once, each on a connection of its own,
    so the server works through the later ones on the other cores while this process turns the
    first ones' rows into the frame; for a full load that hides most of the server's time.
    """
    if not side_by_side or session.get_bind().dialect.name != "postgresql":
        for query in queries:
            yield _driver_rows(session, query)
        return
    engine = session.get_bind().engine

    def fetch(query: Select[Any]) -> list[tuple[Any, ...]]:
        with engine.connect() as connection:
            return _fetch(connection, query)

    with ThreadPoolExecutor(len(queries)) as pool:
        for fetched in [pool.submit(fetch, query) for query in queries]:
            yield fetched.result()


def _restrict(query: Select[Any], column: Any, ids: Sequence[int] | None) -> Select[Any]:
    return query if ids is None else query.where(column.in_(list(ids)))


def load_people(session: Session, ids: Iterable[int] | None = None) -> PeopleFrame:
    """People with completed profiles (all, or only ``ids``), ordered by id."""
    wanted = None if ids is None else sorted(set(ids))
    profile = CivilServantProfile
    # Dates as day numbers and every value as the driver gives it: SQLAlchemy's processing of
    # each row, and a date object per date, cost more than the query.
    people = _restrict(
        select(
            profile.user_id,
            profile.grade_rank,
            profile.about,
            profile.easting,
            profile.northing,
            profile.travel_limit_km,
            profile.remote_ok,
            day_number_of(profile.available_from),
            day_number_of(profile.available_until),
            profile.discoverable,
            (Profession.name == POLICY_PROFESSION).label("policy"),
        )
        .outerjoin(Profession, Profession.id == profile.profession_id)
        .where(profile.completed_at.is_not(None))
        .order_by(profile.user_id),
        profile.user_id,
        wanted,
    )
    # The people's own rows last: the longest query, it runs while the others' rows are grouped.
    fetched = _driver_rows_of_each(
        session,
        [
            _pairs(profile_themes.c.user_id, profile_themes.c.theme_id, wanted),
            _pairs(profile_skills.c.user_id, profile_skills.c.skill_id, wanted),
            # The kinds' text as stored: the enum's per-row conversion cost more than the rest
            # of the query, and the frame wants the text.
            _pairs(WantedKind.user_id, type_coerce(WantedKind.kind, String()), wanted),
            _pairs(Dismissal.person_id, Dismissal.placement_id, wanted),
            _pairs(
                Interest.person_id,
                Interest.placement_id,
                wanted,
                Interest.status.in_(ACTIVE_INTEREST_STATUSES),
            ),
            people,
        ],
        side_by_side=wanted is None,
    )
    themes, skills, kinds, dismissed, interested = (_grouped(next(fetched)) for _ in range(5))
    rows = next(fetched)
    (
        person,
        grade_rank,
        about,
        easting,
        northing,
        travel_limit_km,
        remote_ok,
        available_from,
        available_until,
        discoverable,
        policy,
    ) = zip(*rows, strict=True) if rows else ((),) * 11
    # Column by column: a record per person cost more than the rest of the load.
    return PeopleFrame.from_columns(
        {
            "id": person,
            "grade_rank": grade_rank,
            "themes": [themes.get(p, ()) for p in person],
            "skills": [skills.get(p, ()) for p in person],
            "about": about,
            "easting": easting,
            "northing": northing,
            "travel_limit_km": travel_limit_km,
            "remote_ok": remote_ok,
            "available_from": available_from,
            "available_until": available_until,
            "wanted_kinds": [kinds.get(p, ()) for p in person],
            "discoverable": discoverable,
            "policy_profession": policy,
            "dismissed": [dismissed.get(p, ()) for p in person],
            "interested": [interested.get(p, ()) for p in person],
        }
    )


def load_placements(session: Session, ids: Iterable[int] | None = None) -> PlacementFrame:
    """Live placements and those of feedback (all, or only ``ids`` whatever their status), by id."""
    wanted = None if ids is None else sorted(set(ids))
    query = (
        select(
            Placement.id,
            Placement.organisation_id,
            Organisation.kind.label("organisation_kind"),
            Placement.status,
            Placement.closing_date,
            Placement.grade_min_rank,
            Placement.grade_max_rank,
            Placement.kind,
            Placement.title,
            Placement.summary,
            Placement.description,
            Placement.easting,
            Placement.northing,
            Placement.remote_possible,
            Placement.start_date,
            Placement.duration_weeks,
        )
        .join(Organisation, Organisation.id == Placement.organisation_id)
        .order_by(Placement.id)
    )
    if wanted is None:
        dismissed = select(Dismissal.placement_id).distinct()
        interested = (
            select(Interest.placement_id)
            .where(Interest.status.in_(ACTIVE_INTEREST_STATUSES))
            .distinct()
        )
        query = query.where(
            or_(
                Placement.status.in_(LIVE_STATUSES),
                and_(Placement.id.in_(dismissed)),
                Placement.id.in_(interested),
            )
        )
    else:
        query = query.where(Placement.id.in_(wanted))
    rows = session.execute(query.execution_options(yield_per=50_000)).all()
    themes = _grouped(
        _driver_rows(
            session, _pairs(placement_themes.c.placement_id, placement_themes.c.theme_id, wanted)
        )
    )
    skills = _grouped(
        _driver_rows(
            session, _pairs(placement_skills.c.placement_id, placement_skills.c.skill_id, wanted)
        )
    )
    ratings = host_ratings(session)
    return PlacementFrame.from_records(
        {
            **row._asdict(),
            "host_rating": ratings.get(row.organisation_id, (None, 0))[0],
            "host_reflections": ratings.get(row.organisation_id, (None, 0))[1],
            "organisation_kind": str(row.organisation_kind),
            "status": str(row.status),
            "kind": str(row.kind),
            "themes": themes.get(row.id, ()),
            "skills": skills.get(row.id, ()),
        }
        for row in rows
    )
