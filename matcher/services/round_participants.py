"""Use cases of a round's cohort: invitations, the join link, withdrawing, and ranked choices.

A manager invites people by a list of email addresses (typed, or a CSV file's email column);
the same government-domain rule as registration applies (``accounts.is_government_email``).
An invitee accepts with a signed token naming their participant row, as an organisation's
invitation works, so nothing secret is stored. A cohort's join link carries a random secret of
which only the SHA-256 digest is kept: it is shown once when made, and making a new one retires
the old. Participants choose up to the round's number of places, pre-filled in the order of
their stored matches, and move choices up and down one at a time (the web does it without
JavaScript). A participant may withdraw until results are published; if the allocation has
already run, its unpublished results are dropped and it runs again. The caller commits.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from matcher import audit, outbox
from matcher.events import ROUND_ALLOCATION_REQUESTED, ROUND_INVITATION_SENT
from matcher.models import (
    AllocationResult,
    AllocationRound,
    Role,
    RoundParticipant,
    RoundPlace,
    RoundPreference,
    RoundState,
    User,
    utcnow,
)
from matcher.services.access import (
    load_actor,
    load_round,
    load_round_for_manager,
    participant_of,
)
from matcher.services.accounts import (
    GOVERNMENT_EMAIL_MESSAGE,
    is_government_email,
    normalise_email,
)
from matcher.services.concurrency import check_version
from matcher.services.errors import NotFound
from matcher.services.match_queries import in_match_order
from matcher.services.messages import message
from matcher.services.rounds import wrong_state
from matcher.services.upsert import insert_unless_exists
from matcher.services.validation import ValidationFailed

S = RoundState
# People join until choices close; they choose while the round collects choices; they may
# leave until results are published.
JOINING_STATES = frozenset({S.DRAFT, S.COLLECTING_PLACES, S.COLLECTING_PREFERENCES})
CHOOSING_STATES = frozenset({S.COLLECTING_PREFERENCES})
WITHDRAWING_STATES = frozenset({*JOINING_STATES, S.ALLOCATING})

EMAIL_MAX = 254
_EMAIL = re.compile(r"^[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,}$")
_TOKEN_SALT = "matcher.round-invitation"
JOIN_SECRET_PREFIX = "join_"


def _require_state(allocation_round: AllocationRound, states: frozenset[RoundState]) -> None:
    if allocation_round.state not in states:
        raise wrong_state(allocation_round)


@dataclass
class Invited:
    """What inviting a list of addresses did: new invitations, addresses already in the round,
    and the words for each line that could not be invited (by line number, from 1)."""

    invited: list[RoundParticipant] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)


def invite(
    session: Session,
    actor_id: int,
    round_id: int,
    emails: Sequence[str],
    *,
    government_domains: tuple[str, ...],
    first_line: int = 1,
    counted_as: str = "line",
) -> Invited:
    """Invite each address (one per line, numbered from ``first_line``) to the round; nothing
    is invited if any line is bad, so the manager can correct the list and send it again.
    ``counted_as`` is what the words call a line (a file has rows)."""
    actor = load_actor(session, actor_id)
    allocation_round = load_round_for_manager(session, actor, round_id, lock=True)
    _require_state(allocation_round, JOINING_STATES)
    outcome = Invited()
    seen: dict[str, int] = {}
    wanted: list[str] = []
    for line, raw in enumerate(emails, start=first_line):
        if not (raw or "").strip():
            continue
        email = normalise_email(raw)
        if len(email) > EMAIL_MAX or not _EMAIL.match(email):
            outcome.errors[line] = message("participants.email.malformed")
        elif not is_government_email(email, government_domains):
            outcome.errors[line] = GOVERNMENT_EMAIL_MESSAGE
        elif email in seen:
            outcome.errors[line] = message(
                "participants.email.repeated", counted_as=counted_as, line=seen[email]
            )
        else:
            seen[email] = line
            wanted.append(email)
    if outcome.errors:
        return outcome
    if not wanted:
        raise ValidationFailed({"emails": message("participants.emails.missing")})
    now = utcnow()
    for email in wanted:
        # Someone who joined by link, with an account at this address, is in the round too.
        same_person = [RoundParticipant.invited_email == email]
        existing_user = session.scalar(select(User.id).where(User.email == email))
        if existing_user is not None:
            same_person.append(RoundParticipant.user_id == existing_user)
        already = session.scalar(
            select(RoundParticipant.id).where(
                RoundParticipant.round_id == round_id, or_(*same_person)
            )
        )
        inserted = already is None and insert_unless_exists(
            session,
            RoundParticipant,
            {
                "round_id": round_id,
                "invited_email": email,
                "invited_by_id": actor.id,
                "invited_at": now,
            },
        )
        if not inserted:
            outcome.already.append(email)
            continue
        participant = session.scalars(
            select(RoundParticipant).where(
                RoundParticipant.round_id == round_id, RoundParticipant.invited_email == email
            )
        ).one()
        outcome.invited.append(participant)
        outbox.record_event(session, ROUND_INVITATION_SENT, {"participant_id": participant.id})
    audit.record(
        session,
        actor.id,
        "round.participants_invited",
        "allocation_round",
        round_id,
        {"invited": [p.id for p in outcome.invited], "already": len(outcome.already)},
    )
    return outcome


def emails_from_csv(text: str) -> list[str]:
    """The email column of CSV text, one address per row after the header; ValidationFailed if
    there is no such column or the text is not CSV."""
    try:
        # A spreadsheet's CSV often starts with a byte order mark, which is not part of "email".
        rows = list(csv.reader(io.StringIO((text or "").removeprefix("\ufeff"))))
    except csv.Error as error:
        raise ValidationFailed(
            {"file": message("participants.csv.malformed", reason=str(error))}
        ) from error
    if not rows:
        raise ValidationFailed({"file": message("participants.emails.missing")})
    header = [cell.strip().lower() for cell in rows[0]]
    if "email" not in header:
        raise ValidationFailed({"file": message("participants.csv.no_email")})
    column = header.index("email")
    return [row[column] if column < len(row) else "" for row in rows[1:]]


def invite_from_csv(
    session: Session,
    actor_id: int,
    round_id: int,
    text: str,
    *,
    government_domains: tuple[str, ...],
) -> Invited:
    """``invite`` the addresses in a CSV file's email column; errors name the file's lines."""
    return invite(
        session,
        actor_id,
        round_id,
        emails_from_csv(text),
        government_domains=government_domains,
        first_line=2,
        counted_as="row",
    )


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_TOKEN_SALT)


def invitation_token(participant: RoundParticipant, *, secret_key: str) -> str:
    """The signed token that lets the invitee join; it goes in their invitation email's link."""
    return str(_serializer(secret_key).dumps({"participant": participant.id}))


def _require_civil_servant(actor: User, government_domains: tuple[str, ...]) -> None:
    if actor.role != Role.CIVIL_SERVANT or not is_government_email(actor.email, government_domains):
        raise ValidationFailed({"user": message("participants.civil_servants_only")})


def accept_invitation(
    session: Session,
    actor_id: int,
    token: str,
    *,
    secret_key: str,
    government_domains: tuple[str, ...],
) -> RoundParticipant:
    """Join the round an invitation sent to the actor's own address names."""
    actor = load_actor(session, actor_id)
    try:
        participant_id = int(_serializer(secret_key).loads(token)["participant"])
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise NotFound("no round invitation matches this link") from error
    participant = session.get(
        RoundParticipant, participant_id, with_for_update=True, populate_existing=True
    )
    if participant is None:
        raise NotFound("no round invitation matches this link")
    _require_civil_servant(actor, government_domains)
    if participant.user_id is not None:
        raise ValidationFailed({"token": message("participants.invitation.used")})
    if actor.email != participant.invited_email:
        raise ValidationFailed({"token": message("participants.invitation.other_email")})
    allocation_round = session.get(AllocationRound, participant.round_id)
    assert allocation_round is not None
    _require_state(allocation_round, JOINING_STATES)
    if participant_of(session, actor.id, allocation_round.id) is not None:
        raise ValidationFailed({"token": message("participants.already")})
    participant.user_id = actor.id
    participant.joined_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor.id,
        "round.invitation_accepted",
        "round_participant",
        participant.id,
        {"round_id": allocation_round.id},
    )
    return participant


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def make_join_link_secret(session: Session, actor_id: int, round_id: int) -> str:
    """A new secret for the cohort's join link, shown once; the link it replaces stops working."""
    actor = load_actor(session, actor_id)
    allocation_round = load_round_for_manager(session, actor, round_id, lock=True)
    _require_state(allocation_round, JOINING_STATES)
    secret = JOIN_SECRET_PREFIX + secrets.token_urlsafe(24)
    allocation_round.join_code_digest = _digest(secret)
    session.flush()
    audit.record(session, actor.id, "round.join_link_made", "allocation_round", round_id)
    return secret


def join_by_link(
    session: Session, actor_id: int, secret: str, *, government_domains: tuple[str, ...]
) -> RoundParticipant:
    """Join the round whose join link carries ``secret``."""
    actor = load_actor(session, actor_id)
    allocation_round = session.scalars(
        select(AllocationRound)
        .where(AllocationRound.join_code_digest == _digest(secret or ""))
        .with_for_update()
    ).one_or_none()
    if allocation_round is None or allocation_round.state not in JOINING_STATES:
        raise ValidationFailed({"secret": message("participants.join_link.not_valid")})
    _require_civil_servant(actor, government_domains)
    now = utcnow()
    inserted = insert_unless_exists(
        session,
        RoundParticipant,
        {"round_id": allocation_round.id, "user_id": actor.id, "joined_at": now},
    )
    if not inserted:
        raise ValidationFailed({"secret": message("participants.already")})
    participant = participant_of(session, actor.id, allocation_round.id)
    assert participant is not None
    # An invitation to the same address is this person too: one row per person.
    session.execute(
        delete(RoundParticipant).where(
            RoundParticipant.round_id == allocation_round.id,
            RoundParticipant.invited_email == actor.email,
            RoundParticipant.user_id.is_(None),
        )
    )
    audit.record(
        session,
        actor.id,
        "round.joined_by_link",
        "round_participant",
        participant.id,
        {"round_id": allocation_round.id},
    )
    return participant


def _own_participation(
    session: Session, actor: User, round_id: int, *, lock: bool = False
) -> tuple[RoundParticipant, AllocationRound]:
    allocation_round = load_round(session, actor, round_id, lock=lock)
    participant = participant_of(session, actor.id, round_id)
    if participant is None:
        raise NotFound(f"user {actor.id} is not in round {round_id}")
    if participant.withdrawn_at is not None:
        raise ValidationFailed({"round": message("participants.withdrawn")})
    return participant, allocation_round


def withdraw(session: Session, actor_id: int, round_id: int) -> RoundParticipant:
    """Leave the round before its results are published; the allocation leaves them out, and
    runs again without them if it already ran."""
    actor = load_actor(session, actor_id)
    participant, allocation_round = _own_participation(session, actor, round_id, lock=True)
    _require_state(allocation_round, WITHDRAWING_STATES)
    participant.withdrawn_at = utcnow()
    if allocation_round.allocated_at is not None:
        # Nobody has seen results that counted them in: allocate again without them.
        session.execute(delete(AllocationResult).where(AllocationResult.round_id == round_id))
        allocation_round.allocated_at = None
        outbox.record_event(session, ROUND_ALLOCATION_REQUESTED, {"round_id": round_id})
    session.flush()
    audit.record(
        session,
        actor.id,
        "round.participant_withdrew",
        "round_participant",
        participant.id,
        {"round_id": round_id},
    )
    return participant


@dataclass(frozen=True)
class Choices:
    """A participant's choices in order, whether they are still the pre-filled suggestion
    (nothing saved yet), and the version a change must name."""

    round_place_ids: list[int]
    prefilled: bool
    version_id: int
    max_choices: int


def _stored_choices(session: Session, participant: RoundParticipant) -> list[int]:
    return list(
        session.scalars(
            select(RoundPreference.round_place_id)
            .where(RoundPreference.participant_id == participant.id)
            .order_by(RoundPreference.rank)
        )
    )


def _suggested_choices(
    session: Session, actor: User, allocation_round: AllocationRound
) -> list[int]:
    rows = session.execute(
        select(RoundPlace.placement_id, RoundPlace.id).where(
            RoundPlace.round_id == allocation_round.id
        )
    ).all()
    place_of_placement = {placement_id: place_id for placement_id, place_id in rows}
    ordered = in_match_order(session, actor.id, place_of_placement)
    return [place_of_placement[p] for p in ordered][: allocation_round.max_choices]


def choices(session: Session, actor_id: int, round_id: int) -> Choices:
    """The participant's choices; before they save any, their best-matched places in the
    order of their stored matches."""
    actor = load_actor(session, actor_id)
    participant, allocation_round = _own_participation(session, actor, round_id)
    stored = _stored_choices(session, participant)
    if stored or allocation_round.state not in CHOOSING_STATES:
        return Choices(stored, False, participant.version_id, allocation_round.max_choices)
    suggested = _suggested_choices(session, actor, allocation_round)
    return Choices(suggested, True, participant.version_id, allocation_round.max_choices)


def set_choices(
    session: Session,
    actor_id: int,
    round_id: int,
    round_place_ids: Sequence[int],
    *,
    expected_version: int | None = None,
) -> Choices:
    """Save the participant's choices, first choice first."""
    actor = load_actor(session, actor_id)
    participant, allocation_round = _own_participation(session, actor, round_id, lock=True)
    check_version("participant", participant.id, expected_version, participant.version_id)
    _require_state(allocation_round, CHOOSING_STATES)
    wanted = list(round_place_ids)
    if len(wanted) > allocation_round.max_choices:
        raise ValidationFailed(
            {"choices": message("choices.too_many", most=allocation_round.max_choices)}
        )
    if len(set(wanted)) != len(wanted):
        raise ValidationFailed({"choices": message("choices.repeated")})
    offered = set(session.scalars(select(RoundPlace.id).where(RoundPlace.round_id == round_id)))
    if not set(wanted) <= offered:
        raise ValidationFailed({"choices": message("choices.unknown")})
    session.execute(delete(RoundPreference).where(RoundPreference.participant_id == participant.id))
    session.add_all(
        RoundPreference(
            participant_id=participant.id,
            rank=rank,
            round_place_id=round_place_id,
            round_id=round_id,
        )
        for rank, round_place_id in enumerate(wanted, start=1)
    )
    # New choices are a new version of the participant, whose own columns stay the same.
    flag_modified(participant, "withdrawn_at")
    session.flush()
    audit.record(
        session,
        actor.id,
        "round.choices_saved",
        "round_participant",
        participant.id,
        {"round_place_ids": wanted},
    )
    return Choices(wanted, False, participant.version_id, allocation_round.max_choices)


class Move(StrEnum):
    UP = "up"
    DOWN = "down"


def move_choice(
    session: Session,
    actor_id: int,
    round_id: int,
    round_place_id: int,
    move: Move,
    *,
    expected_version: int | None = None,
) -> Choices:
    """Move one choice up or down one position (saving the pre-filled list if it is still
    that); a move past either end changes nothing."""
    current = choices(session, actor_id, round_id)
    order = list(current.round_place_ids)
    if round_place_id not in order:
        raise ValidationFailed({"choices": message("choices.not_chosen")})
    at = order.index(round_place_id)
    to = at - 1 if Move(move) == Move.UP else at + 1
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
    return set_choices(session, actor_id, round_id, order, expected_version=expected_version)


def remove_choice(
    session: Session,
    actor_id: int,
    round_id: int,
    round_place_id: int,
    *,
    expected_version: int | None = None,
) -> Choices:
    """Take one place off the participant's choices."""
    current = choices(session, actor_id, round_id)
    if round_place_id not in current.round_place_ids:
        raise ValidationFailed({"choices": message("choices.not_chosen")})
    order = [p for p in current.round_place_ids if p != round_place_id]
    return set_choices(session, actor_id, round_id, order, expected_version=expected_version)


def add_choice(
    session: Session,
    actor_id: int,
    round_id: int,
    round_place_id: int,
    *,
    expected_version: int | None = None,
) -> Choices:
    """Add a place at the end of the participant's choices."""
    current = choices(session, actor_id, round_id)
    if round_place_id in current.round_place_ids:
        raise ValidationFailed({"choices": message("choices.repeated")})
    order = [*current.round_place_ids, round_place_id]
    return set_choices(session, actor_id, round_id, order, expected_version=expected_version)


def cohort(session: Session, actor_id: int, round_id: int) -> list[tuple[RoundParticipant, str]]:
    """The round's participants with the name (or, before they join, the address) to show,
    for those who run it."""
    actor = load_actor(session, actor_id)
    load_round_for_manager(session, actor, round_id)
    rows = session.execute(
        select(RoundParticipant, User.display_name)
        .outerjoin(User, User.id == RoundParticipant.user_id)
        .where(RoundParticipant.round_id == round_id)
        .order_by(RoundParticipant.id)
    ).all()
    return [(p, name or p.invited_email or "") for p, name in rows]
