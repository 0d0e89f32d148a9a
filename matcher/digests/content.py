"""What goes into each digest, loaded for a whole batch of recipients in a fixed number of queries.

"New" means changed since the recipient's last sent digest (of either kind), or within the
period's length for someone who never had one: a match whose ``computed_at`` is later, an
interest that moved since, a person who registered interest since, a practice note published
since on a theme the person follows. Placements closing soon are news once: when they entered
the last seven days after the previous digest. A matched placement linked to a published
practice note says so ("Work alongside ..."), a fact read when the digest is planned.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from matcher.clock import london_date
from matcher.digests.periods import FIRST_DIGEST_LOOKBACK
from matcher.models import (
    CivilServantProfile,
    DeliveryStatus,
    Department,
    DigestDelivery,
    DigestFrequency,
    DigestKind,
    Dismissal,
    Grade,
    Interest,
    InterestStatus,
    InterestTransition,
    Match,
    Membership,
    Organisation,
    Placement,
    PlacementStatus,
    Profession,
    Role,
    Skill,
    SuppressedAddress,
    Theme,
    User,
    VerificationStatus,
)
from matcher.models.practice_notes import theme_follows
from matcher.reasons import MatchFacts, describe_reasons
from matcher.services.match_queries import organisation_kinds_worked_with
from matcher.services.practice_notes import published_notes_for_placements, published_notes_since

CLOSING_SOON_DAYS = 7
NEW_MATCHES_SHOWN = 5
CLOSING_SOON_SHOWN = 5
REASONS_SHOWN = 3
PEOPLE_PER_PLACEMENT = 3
PRACTICE_NOTES_SHOWN = 5

# What an organisation's move on someone's interest means to that person.
INTEREST_NEWS = {
    InterestStatus.SHORTLISTED: "You are on the shortlist",
    InterestStatus.OFFERED: "You have been offered a place",
    InterestStatus.REJECTED: "They will not take your interest further this time",
    InterestStatus.WITHDRAWN: "Your interest was withdrawn",
    InterestStatus.ACCEPTED: "Your acceptance is confirmed",
    InterestStatus.DECLINED: "Your decision to decline is recorded",
    InterestStatus.INTERESTED: "Your interest is registered",
}


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a digest is for, and since when their news counts."""

    id: int
    email: str
    name: str
    role: Role
    since: datetime
    wants_this_kind: bool
    suppressed: bool


@dataclass(frozen=True, slots=True)
class PracticeLine:
    """A published practice note: new on a followed theme, or beside a matched placement
    (``words`` then says how it relates: "Work alongside ...")."""

    note_id: int
    title: str
    organisation: str
    words: str = ""


@dataclass(frozen=True, slots=True)
class PlacementLine:
    """A placement in a digest, with why it fits when it is a match."""

    placement_id: int
    title: str
    organisation: str
    closing_date: date
    reasons: tuple[str, ...] = ()
    practice: tuple[PracticeLine, ...] = ()


@dataclass(frozen=True, slots=True)
class InterestLine:
    """A change an organisation made to the recipient's interest in a placement."""

    placement_id: int
    title: str
    organisation: str
    news: str
    # The interest's own page, which its person can always open (a filled or closed
    # placement's public page is gone).
    interest_id: int | None = None


@dataclass(frozen=True, slots=True)
class PersonLine:
    """A discoverable person recommended for a placement: never their name or contact, which
    organisations see only once the person says they are interested."""

    grade: str | None
    department: str | None
    profession: str | None


@dataclass(frozen=True, slots=True)
class PlacementPeople:
    """A placement of the recipient's organisation and the people the line is about."""

    placement_id: int
    title: str
    count: int = 0
    people: tuple[PersonLine, ...] = ()
    # For accepted offers: whether every place is now taken.
    filled: bool = False


@dataclass(slots=True)
class DigestContent:
    """Everything one digest says; empty means the delivery is skipped."""

    recipient: Recipient
    kind: DigestKind
    today: date
    new_matches: list[PlacementLine] = field(default_factory=list)
    closing_soon: list[PlacementLine] = field(default_factory=list)
    interest_changes: list[InterestLine] = field(default_factory=list)
    new_interest: list[PlacementPeople] = field(default_factory=list)
    accepted: list[PlacementPeople] = field(default_factory=list)
    recommendations: list[PlacementPeople] = field(default_factory=list)
    own_closing_soon: list[PlacementLine] = field(default_factory=list)
    new_practice_notes: list[PracticeLine] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.new_matches
            or self.closing_soon
            or self.interest_changes
            or self.new_practice_notes
            or self.new_interest
            or self.accepted
            or self.recommendations
            or self.own_closing_soon
        )


def _entered_closing_window(closing_date: date, since: datetime) -> bool:
    # News once: the placement came within CLOSING_SOON_DAYS after the previous digest.
    return closing_date - timedelta(days=CLOSING_SOON_DAYS) > london_date(since) - timedelta(days=1)


def load_recipients(
    session: Session, recipient_ids: Sequence[int], kind: DigestKind, now: datetime
) -> dict[int, Recipient]:
    """The recipients with their last sent digest and whether they may still be sent one."""
    last_sent = (
        select(DigestDelivery.recipient_id, func.max(DigestDelivery.sent_at).label("sent_at"))
        .where(
            DigestDelivery.recipient_id.in_(recipient_ids),
            DigestDelivery.status == DeliveryStatus.SENT,
        )
        .group_by(DigestDelivery.recipient_id)
        .subquery()
    )
    rows = session.execute(
        select(
            User.id,
            User.email,
            User.display_name,
            User.role,
            CivilServantProfile.digest_frequency,
            last_sent.c.sent_at,
            SuppressedAddress.email.is_not(None),
        )
        .outerjoin(CivilServantProfile, CivilServantProfile.user_id == User.id)
        .outerjoin(last_sent, last_sent.c.recipient_id == User.id)
        .outerjoin(SuppressedAddress, SuppressedAddress.email == User.email)
        .where(User.id.in_(recipient_ids))
    ).all()
    lookback = now - FIRST_DIGEST_LOOKBACK[kind]
    recipients = {}
    for user_id, email, name, role, frequency, sent_at, suppressed in rows:
        if role == Role.CIVIL_SERVANT:
            wants = frequency is not None and frequency.value == kind.value
        else:
            wants = role == Role.ORGANISATION_MEMBER and kind == DigestKind.WEEKLY
        recipients[user_id] = Recipient(
            id=user_id,
            email=email,
            name=name,
            role=role,
            since=sent_at or lookback,
            wants_this_kind=wants and frequency != DigestFrequency.NEVER,
            suppressed=bool(suppressed),
        )
    return recipients


def load_contents(
    session: Session, recipient_ids: Sequence[int], kind: DigestKind, now: datetime
) -> dict[int, DigestContent]:
    """Digest content for every recipient in ``recipient_ids``, in a constant number of queries."""
    recipients = load_recipients(session, recipient_ids, kind, now)
    today = london_date(now)
    contents = {rid: DigestContent(r, kind, today) for rid, r in recipients.items()}
    people = [r for r in recipients.values() if r.role == Role.CIVIL_SERVANT]
    members = [r for r in recipients.values() if r.role == Role.ORGANISATION_MEMBER]
    if people:
        _person_news(session, people, contents, today)
    if members:
        _organisation_news(session, members, contents, today)
    return contents


def _names(
    session: Session, model: type[Theme] | type[Skill], ids: Iterable[int]
) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    # .all(): a Result has keys(), so dict() would read it as a mapping of column names.
    query = select(model.id, model.name).where(model.id.in_(wanted))
    return dict(session.execute(query).tuples().all())


def _person_news(
    session: Session,
    people: list[Recipient],
    contents: dict[int, DigestContent],
    today: date,
) -> None:
    ids = [person.id for person in people]
    earliest = min(person.since for person in people)
    horizon = today + timedelta(days=CLOSING_SOON_DAYS)
    dismissed = exists().where(
        Dismissal.person_id == Match.person_id, Dismissal.placement_id == Match.placement_id
    )
    interested = exists().where(
        Interest.person_id == Match.person_id, Interest.placement_id == Match.placement_id
    )
    matches = session.execute(
        select(
            Match.person_id,
            Match.placement_id,
            Match.reasons,
            Match.computed_at,
            Placement.title,
            Placement.closing_date,
            Organisation.name,
            Organisation.kind.label("organisation_kind"),
            Placement.start_date,
            Placement.remote_possible,
            CivilServantProfile.available_from,
            CivilServantProfile.remote_ok,
        )
        .join(Placement, Placement.id == Match.placement_id)
        .join(Organisation, Organisation.id == Placement.organisation_id)
        .join(CivilServantProfile, CivilServantProfile.user_id == Match.person_id)
        .where(
            Match.person_id.in_(ids),
            Placement.status == PlacementStatus.OPEN,
            Placement.closing_date >= today,
            or_(Match.computed_at > earliest, Placement.closing_date <= horizon),
            ~dismissed,
            ~interested,
        )
        .order_by(Match.person_id, Match.rank)
    ).all()
    theme_ids: set[int] = set()
    skill_ids: set[int] = set()
    for row in matches:
        for reason in row.reasons:
            evidence = reason.get("evidence") or {}
            theme_ids.update(evidence.get("shared_theme_ids", ()))
            skill_ids.update(evidence.get("shared_skill_ids", ()))
    themes = _names(session, Theme, theme_ids)
    skills = _names(session, Skill, skill_ids)
    worked_with = organisation_kinds_worked_with(session, {row.person_id for row in matches})
    # Each person's digest is one set of cards: its reasons are worded together.
    shown: dict[int, list[tuple[list[PlacementLine], Any]]] = defaultdict(list)
    counts: Counter[tuple[int, str]] = Counter()
    for row in matches:
        since = contents[row.person_id].recipient.since
        is_new = row.computed_at > since
        closing = row.closing_date <= horizon and _entered_closing_window(row.closing_date, since)
        if is_new and counts[row.person_id, "new"] < NEW_MATCHES_SHOWN:
            section = "new"
        elif closing and counts[row.person_id, "closing"] < CLOSING_SOON_SHOWN:
            section = "closing"
        else:
            continue
        counts[row.person_id, section] += 1
        content = contents[row.person_id]
        shown[row.person_id].append(
            (content.new_matches if section == "new" else content.closing_soon, row)
        )
    cited = published_notes_for_placements(
        session, {row.placement_id for lines in shown.values() for _, row in lines}
    )
    for person_id, lines in shown.items():
        cards = [
            (
                row.reasons,
                MatchFacts(
                    today=today,
                    start_date=row.start_date,
                    available_from=row.available_from,
                    remote=row.remote_possible and row.remote_ok,
                    organisation_kind=row.organisation_kind,
                    worked_with=worked_with[person_id],
                ),
            )
            for _, row in lines
        ]
        described = describe_reasons(cards, themes, skills, limit=REASONS_SHOWN)
        for (target, row), reasons in zip(lines, described, strict=True):
            practice = tuple(
                PracticeLine(
                    note.note_id,
                    note.title,
                    note.organisation_name,
                    note.words,
                )
                for note in cited.get(row.placement_id, [])
            )
            target.append(
                PlacementLine(
                    row.placement_id,
                    row.title,
                    row.name,
                    row.closing_date,
                    tuple(reasons),
                    practice,
                )
            )

    changes = session.execute(
        select(
            Interest.person_id,
            Interest.id,
            # The interest's state now, not the organisation's move: a place offered and then
            # accepted by the person is news of the acceptance, never a stale "offered".
            Interest.status,
            InterestTransition.at,
            Placement.id,
            Placement.title,
            Organisation.name,
        )
        .join(Interest, Interest.id == InterestTransition.interest_id)
        .join(Placement, Placement.id == Interest.placement_id)
        .join(Organisation, Organisation.id == Placement.organisation_id)
        .where(
            Interest.person_id.in_(ids),
            InterestTransition.at > earliest,
            # The person's own moves are not news to them.
            or_(
                InterestTransition.actor_id.is_(None),
                InterestTransition.actor_id != Interest.person_id,
            ),
        )
        .order_by(Interest.person_id, Interest.id, InterestTransition.at.desc())
    ).all()
    seen: set[int] = set()
    for person_id, interest_id, status, at, placement_id, title, organisation in changes:
        content = contents[person_id]
        if interest_id in seen or at <= content.recipient.since:
            continue
        seen.add(interest_id)
        content.interest_changes.append(
            InterestLine(placement_id, title, organisation, INTEREST_NEWS[status], interest_id)
        )
    _practice_news(session, people, contents, earliest)


def _practice_news(
    session: Session,
    people: list[Recipient],
    contents: dict[int, DigestContent],
    earliest: datetime,
) -> None:
    """Practice notes published since each person's last digest on a theme they follow."""
    followed: dict[int, set[int]] = defaultdict(set)
    for user_id, theme_id in session.execute(
        select(theme_follows.c.user_id, theme_follows.c.theme_id).where(
            theme_follows.c.user_id.in_([person.id for person in people])
        )
    ):
        followed[user_id].add(theme_id)
    if not followed:
        return
    all_themes = set().union(*followed.values())
    notes = published_notes_since(session, earliest, list(all_themes), limit=None)
    for person_id, themes in followed.items():
        content = contents[person_id]
        for note in notes:
            if len(content.new_practice_notes) == PRACTICE_NOTES_SHOWN:
                break
            assert note.published_at is not None
            if note.published_at > content.recipient.since and themes & {
                theme.id for theme in note.themes
            }:
                content.new_practice_notes.append(
                    PracticeLine(note.id, note.title, note.organisation.name)
                )


def _organisation_news(
    session: Session,
    members: list[Recipient],
    contents: dict[int, DigestContent],
    today: date,
) -> None:
    ids = [member.id for member in members]
    earliest = min(member.since for member in members)
    horizon = today + timedelta(days=CLOSING_SOON_DAYS)
    organisations_of: dict[int, list[int]] = defaultdict(list)
    for user_id, organisation_id in session.execute(
        select(Membership.user_id, Membership.organisation_id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.user_id.in_(ids), Organisation.status == VerificationStatus.VERIFIED)
    ):
        organisations_of[user_id].append(organisation_id)
    organisation_ids = {o for found in organisations_of.values() for o in found}
    if not organisation_ids:
        return
    placements = session.execute(
        select(Placement.id, Placement.organisation_id, Placement.title, Placement.closing_date)
        .where(
            Placement.organisation_id.in_(organisation_ids),
            Placement.status == PlacementStatus.OPEN,
            Placement.closing_date >= today,
        )
        .order_by(Placement.closing_date, Placement.id)
    ).all()
    placement_ids = [placement.id for placement in placements]
    interest_times: dict[int, list[datetime]] = defaultdict(list)
    recommended: dict[int, list[tuple[datetime, PersonLine]]] = defaultdict(list)
    if placement_ids:
        for placement_id, created_at in session.execute(
            select(Interest.placement_id, Interest.created_at).where(
                Interest.placement_id.in_(placement_ids), Interest.created_at > earliest
            )
        ):
            interest_times[placement_id].append(created_at)
        already = exists().where(
            Interest.person_id == Match.person_id, Interest.placement_id == Match.placement_id
        )
        ranked = (
            select(
                Match.placement_id,
                Match.computed_at,
                Grade.name.label("grade"),
                Department.name.label("department"),
                Profession.name.label("profession"),
                func.row_number()
                .over(partition_by=Match.placement_id, order_by=Match.score.desc())
                .label("position"),
            )
            .join(CivilServantProfile, CivilServantProfile.user_id == Match.person_id)
            .outerjoin(Grade, Grade.rank == CivilServantProfile.grade_rank)
            .outerjoin(Department, Department.id == CivilServantProfile.department_id)
            .outerjoin(Profession, Profession.id == CivilServantProfile.profession_id)
            .where(
                Match.placement_id.in_(placement_ids),
                Match.computed_at > earliest,
                CivilServantProfile.discoverable.is_(True),
                ~already,
            )
            .subquery()
        )
        top = aliased(ranked)
        for row in session.execute(
            select(top).where(top.c.position <= PEOPLE_PER_PLACEMENT).order_by(top.c.position)
        ):
            recommended[row.placement_id].append(
                (row.computed_at, PersonLine(row.grade, row.department, row.profession))
            )
    by_organisation: dict[int, list] = defaultdict(list)
    for placement in placements:
        by_organisation[placement.organisation_id].append(placement)
    # Offers accepted are news whatever the placement's state: the acceptance that takes the
    # last place also fills it, so it is no longer open.
    acceptances = session.execute(
        select(
            Placement.organisation_id,
            Placement.id,
            Placement.title,
            Placement.status,
            InterestTransition.at,
        )
        .join(Interest, Interest.id == InterestTransition.interest_id)
        .join(Placement, Placement.id == Interest.placement_id)
        .where(
            Placement.organisation_id.in_(organisation_ids),
            InterestTransition.to_status == InterestStatus.ACCEPTED,
            InterestTransition.at > earliest,
        )
        .order_by(Placement.id)
    ).all()
    for member in members:
        content = contents[member.id]
        since = member.since
        accepted: dict[int, PlacementPeople] = {}
        for organisation_id, placement_id, title, status, at in acceptances:
            if at > since and organisation_id in organisations_of.get(member.id, ()):
                before = accepted.get(placement_id)
                accepted[placement_id] = PlacementPeople(
                    placement_id,
                    title,
                    count=(before.count if before else 0) + 1,
                    filled=status == PlacementStatus.FILLED,
                )
        content.accepted.extend(accepted.values())
        for organisation_id in organisations_of.get(member.id, ()):
            for placement in by_organisation[organisation_id]:
                count = sum(1 for at in interest_times[placement.id] if at > since)
                if count:
                    content.new_interest.append(
                        PlacementPeople(placement.id, placement.title, count=count)
                    )
                people = tuple(person for at, person in recommended[placement.id] if at > since)
                if people:
                    content.recommendations.append(
                        PlacementPeople(placement.id, placement.title, people=people)
                    )
                if placement.closing_date <= horizon and _entered_closing_window(
                    placement.closing_date, since
                ):
                    content.own_closing_soon.append(
                        PlacementLine(placement.id, placement.title, "", placement.closing_date)
                    )
