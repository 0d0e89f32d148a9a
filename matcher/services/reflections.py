"""Reflections on completed placements: asking for them, answering them, and what they give.

Once a placement someone accepted has ended (``completions.completed_placements``), the beat
job ``ask_for_due`` asks each side once: the secondee, and the host organisation (every member
is told; any one of them answers for it). Whoever has not answered ``REFLECTION_REMINDER_DAYS``
later is reminded once, never more. Each request and reminder is an outbox event in the
transaction that records it, so a retried job sends nothing twice.

A reflection is one answer per side and placement. It can be changed until it closes,
``REFLECTION_OPEN_DAYS`` after it was asked for; after that it is kept as it was. Only the
secondee can allow what they learned to be quoted, on the host's public page, and a member of
the host can start a practice note from a reflection the secondee allowed to be quoted. The
secondees' ratings are the engine's host rating (``stored_matches.loading.host_ratings``); a new
one reaches stored matches at the next full rebuild (nightly), not at once. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from config import Settings
from matcher import audit
from matcher.clock import london_today
from matcher.database import rows_changed
from matcher.events import REFLECTION_REMINDER, REFLECTION_REQUESTED
from matcher.models import (
    Department,
    Interest,
    Membership,
    Organisation,
    Placement,
    Reflection,
    ReflectionSide,
    User,
    utcnow,
)
from matcher.models.users import CivilServantProfile
from matcher.outbox import record_event
from matcher.reasons import date_in_words
from matcher.security.tokens import InvalidToken, make_token, read_token
from matcher.services.access import load_actor, load_reflection, require_member
from matcher.services.completions import completed_placements
from matcher.services.concurrency import check_version, flush_versioned
from matcher.services.errors import NotFound
from matcher.services.messages import message
from matcher.services.text import (
    has_hidden_characters,
    hidden_characters_message,
    plain_line_breaks,
)
from matcher.services.validation import ValidationFailed

REFLECTION = "matcher.reflection"
# A reflection's link works as long as anyone would use it: it closes within two years.
LINK_MAX_AGE = 2 * 365 * 24 * 3600
LEARNED_MAX = 2_000
INFORMED_MAX = 1_000
# Quotes shown on an organisation's public page, newest first.
QUOTES_SHOWN = 6


def reflection_token(secret_key: str, reflection_id: int, user_id: int) -> str:
    """A link token that lets ``user_id`` give reflection ``reflection_id``, and nothing else,
    signed as digest unsubscribe links are."""
    return make_token(secret_key, REFLECTION, {"r": reflection_id, "u": user_id})


def read_reflection_token(secret_key: str, token: str) -> tuple[int, int]:
    """The (reflection id, user id) a token was made for; InvalidToken if tampered with."""
    payload = read_token(secret_key, REFLECTION, token, max_age=LINK_MAX_AGE)
    reflection_id, user_id = payload.get("r"), payload.get("u")
    if not isinstance(reflection_id, int) or not isinstance(user_id, int):
        raise InvalidToken(expired=False)
    return reflection_id, user_id


@dataclass(frozen=True)
class Asked:
    """What one run of the job did."""

    requested: int
    reminded: int


def ask_for_due(session: Session, settings: Settings) -> Asked:
    """Ask both sides of every placement that ended in the last REFLECTION_OPEN_DAYS for a
    reflection, and remind once whoever has not answered after REFLECTION_REMINDER_DAYS."""
    now, today = utcnow(), london_today()
    open_for = timedelta(days=settings.reflection_open_days)
    asked = select(Reflection.interest_id)
    due = completed_placements(today).subquery()
    rows = session.execute(
        select(due.c.interest_id, due.c.organisation_id, due.c.ended_on)
        .where(due.c.ended_on > today - open_for, due.c.interest_id.not_in(asked))
        .order_by(due.c.interest_id)
    ).all()
    requested = 0
    for interest_id, organisation_id, ended_on in rows:
        for side in ReflectionSide:
            reflection = Reflection(
                interest_id=interest_id,
                side=side,
                organisation_id=organisation_id,
                ended_on=ended_on,
                requested_at=now,
                closes_at=now + open_for,
                may_quote=False,
            )
            session.add(reflection)
            session.flush()
            record_event(session, REFLECTION_REQUESTED, {"reflection_id": reflection.id})
            requested += 1
    reminded = 0
    remind_before = now - timedelta(days=settings.reflection_reminder_days)
    unanswered = session.scalars(
        select(Reflection.id)
        .where(
            Reflection.submitted_at.is_(None),
            Reflection.reminded_at.is_(None),
            Reflection.requested_at <= remind_before,
            Reflection.closes_at > now,
        )
        .order_by(Reflection.id)
    ).all()
    for reflection_id in unanswered:
        marked = rows_changed(
            session,
            update(Reflection)
            .where(Reflection.id == reflection_id, Reflection.reminded_at.is_(None))
            .values(reminded_at=now, version_id=Reflection.version_id + 1)
            .execution_options(synchronize_session=False),
        )
        if marked:
            record_event(session, REFLECTION_REMINDER, {"reflection_id": reflection_id})
            reminded += 1
    return Asked(requested, reminded)


@dataclass(frozen=True)
class About:
    """What a reflection is about, in the words its form and emails use."""

    reflection: Reflection
    placement_id: int
    placement_title: str
    organisation_id: int
    organisation_name: str
    secondee_id: int
    secondee_name: str
    secondee_email: str
    ended_on: date

    @property
    def is_secondee(self) -> bool:
        return self.reflection.side == ReflectionSide.SECONDEE

    @property
    def closes_on(self) -> str:
        """The last day the reflection can be given or changed, in words."""
        return date_in_words((self.reflection.closes_at - timedelta(seconds=1)).date())

    @property
    def last_day(self) -> str:
        """The placement's last day, in words."""
        return date_in_words(self.ended_on - timedelta(days=1))

    @property
    def submitted_on(self) -> str | None:
        """When the reflection was first given, in words; None until it is."""
        submitted = self.reflection.submitted_at
        return None if submitted is None else date_in_words(submitted.date())

    def is_open(self, now: datetime) -> bool:
        return now < self.reflection.closes_at


def about(session: Session, reflection: Reflection) -> About:
    """The placement, host and secondee of ``reflection``."""
    row = session.execute(
        select(
            Placement.id,
            Placement.title,
            Organisation.id,
            Organisation.name,
            User.id,
            User.display_name,
            User.email,
        )
        .select_from(Interest)
        .join(Placement, Placement.id == Interest.placement_id)
        .join(Organisation, Organisation.id == Placement.organisation_id)
        .join(User, User.id == Interest.person_id)
        .where(Interest.id == reflection.interest_id)
    ).one()
    placement_id, title, organisation_id, name, person_id, person_name, email = row
    return About(
        reflection,
        placement_id,
        title,
        organisation_id,
        name,
        person_id,
        person_name,
        email,
        reflection.ended_on,
    )


def get_reflection(session: Session, actor_id: int, reflection_id: int) -> About:
    """A reflection the actor may give: their own as the secondee, or their organisation's."""
    actor = load_actor(session, actor_id)
    return about(session, load_reflection(session, actor, reflection_id))


@dataclass(frozen=True)
class ReflectionAnswers:
    """What the reflection form asks; ``recommend`` is "yes" or "no", ``rating`` "1" to "5"."""

    learned: str = ""
    informed: str = ""
    recommend: str = ""
    rating: str = ""
    may_quote: bool = False


def _text(
    errors: dict[str, str], field: str, value: str, subject: str, limit: int, missing: str | None
) -> str | None:
    text = plain_line_breaks(value or "").strip()
    if not text:
        if missing:
            errors[field] = message(missing)
        return None
    if has_hidden_characters(text, multiline=True):
        errors[field] = hidden_characters_message(subject, multiline=True)
    elif len(text) > limit:
        errors[field] = message("reflection.too_long", subject=subject, limit=f"{limit:,}")
    return text


def reflect(
    session: Session,
    actor_id: int,
    reflection_id: int,
    answers: ReflectionAnswers,
    *,
    expected_version: int | None = None,
) -> Reflection:
    """Give or change a reflection until it closes; ValidationFailed says what to fix."""
    actor = load_actor(session, actor_id)
    reflection = load_reflection(session, actor, reflection_id, lock=True)
    if not utcnow() < reflection.closes_at:
        closed = about(session, reflection).closes_on
        raise ValidationFailed({"learned": message("reflection.closed", closed_on=closed)})
    check_version("reflection", reflection.id, expected_version, reflection.version_id)
    errors: dict[str, str] = {}
    learned = _text(
        errors,
        "learned",
        answers.learned,
        "What was learned",
        LEARNED_MAX,
        "reflection.learned.missing",
    )
    informed = _text(
        errors, "informed", answers.informed, "Which policy or service", INFORMED_MAX, None
    )
    if answers.recommend not in ("yes", "no"):
        errors["recommend"] = message("reflection.recommend.missing")
    if answers.rating not in ("1", "2", "3", "4", "5"):
        errors["rating"] = message("reflection.rating.missing")
    if errors:
        raise ValidationFailed(errors)
    first = reflection.submitted_at is None
    now = utcnow()
    reflection.learned = learned
    reflection.informed = informed
    reflection.recommend = answers.recommend == "yes"
    reflection.rating = int(answers.rating)
    reflection.may_quote = answers.may_quote and reflection.side == ReflectionSide.SECONDEE
    reflection.submitted_at = reflection.submitted_at or now
    reflection.submitted_by_id = actor.id
    reflection.updated_at = now
    flush_versioned(session, reflection, "reflection")
    audit.record(
        session,
        actor.id,
        "reflection.given" if first else "reflection.changed",
        "reflection",
        reflection.id,
        {"side": reflection.side.value, "rating": reflection.rating, "quote": reflection.may_quote},
    )
    return reflection


@dataclass(frozen=True)
class Waiting:
    """A reflection the actor can give or change, for their list."""

    about: About
    given: bool


def reflections_for(session: Session, actor_id: int) -> list[Waiting]:
    """The reflections the actor may give, newest first: their own as a secondee and those of
    the organisations they belong to."""
    actor = load_actor(session, actor_id)
    theirs = select(Membership.organisation_id).where(Membership.user_id == actor.id)
    reflections = session.scalars(
        select(Reflection)
        .join(Interest, Interest.id == Reflection.interest_id)
        .where(
            or_(
                and_(Reflection.side == ReflectionSide.SECONDEE, Interest.person_id == actor.id),
                and_(
                    Reflection.side == ReflectionSide.HOST,
                    Reflection.organisation_id.in_(theirs),
                ),
            )
        )
        .order_by(Reflection.id.desc())
    ).all()
    return [Waiting(about(session, r), r.submitted_at is not None) for r in reflections]


@dataclass(frozen=True)
class Quote:
    """What a secondee learned, as their host's public page quotes it."""

    reflection_id: int
    text: str
    placement_title: str
    department: str | None
    rating: int
    ended_on: date


def quotes_for(session: Session, organisation_id: int) -> list[Quote]:
    """The words of secondees who allowed them to be quoted, about this host, newest first."""
    rows = session.execute(
        select(
            Reflection.id,
            Reflection.learned,
            Placement.title,
            Department.name,
            Reflection.rating,
            Reflection.ended_on,
        )
        .join(Interest, Interest.id == Reflection.interest_id)
        .join(Placement, Placement.id == Interest.placement_id)
        .outerjoin(CivilServantProfile, CivilServantProfile.user_id == Interest.person_id)
        .outerjoin(Department, Department.id == CivilServantProfile.department_id)
        .where(
            Reflection.organisation_id == organisation_id,
            Reflection.side == ReflectionSide.SECONDEE,
            Reflection.may_quote.is_(True),
            Reflection.submitted_at.is_not(None),
        )
        .order_by(Reflection.submitted_at.desc(), Reflection.id.desc())
        .limit(QUOTES_SHOWN)
    ).all()
    return [Quote(*row) for row in rows]


def quotable(session: Session, actor_id: int, reflection_id: int) -> About:
    """A secondee's reflection a member of its host may start a practice note from: given,
    and allowed to be quoted. NotFound otherwise."""
    actor = load_actor(session, actor_id)
    reflection = session.get(Reflection, reflection_id)
    if (
        reflection is None
        or reflection.side != ReflectionSide.SECONDEE
        or not reflection.may_quote
        or reflection.submitted_at is None
    ):
        raise NotFound(f"reflection {reflection_id} cannot be quoted")
    require_member(session, actor, reflection.organisation_id)
    return about(session, reflection)
