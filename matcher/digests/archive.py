"""The digest as sent: its content kept with the delivery, and read back for the web page.

"See this digest on the web" opens the delivery that was sent, not the next one: what the
email said is stored (as plain JSON) when the delivery becomes "sent", and the page renders
that copy, whatever has changed since.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from matcher.digests.content import (
    DigestContent,
    InterestLine,
    PersonLine,
    PlacementLine,
    PlacementPeople,
    PracticeLine,
    Recipient,
)
from matcher.models import DeliveryStatus, DigestDelivery, User
from matcher.services.errors import NotFound

_PLACEMENT_SECTIONS = ("new_matches", "closing_soon", "own_closing_soon")
_PEOPLE_SECTIONS = ("new_interest", "accepted", "recommendations")


def content_record(content: DigestContent) -> dict[str, Any]:
    """``content`` as JSON-ready data (the recipient stays out: the delivery names them)."""
    record: dict[str, Any] = {"today": content.today.isoformat()}
    for name in (
        *_PLACEMENT_SECTIONS,
        "interest_changes",
        *_PEOPLE_SECTIONS,
        "new_practice_notes",
    ):
        record[name] = [asdict(line) for line in getattr(content, name)]
    for name in _PLACEMENT_SECTIONS:
        for line in record[name]:
            line["closing_date"] = line["closing_date"].isoformat()
    return record


def _placement_line(data: dict[str, Any]) -> PlacementLine:
    values = {**data, "closing_date": date.fromisoformat(data["closing_date"])}
    practice = tuple(PracticeLine(**line) for line in values.get("practice", ()))
    return PlacementLine(
        **{**values, "reasons": tuple(values.get("reasons", ())), "practice": practice}
    )


def _placement_people(data: dict[str, Any]) -> PlacementPeople:
    people = tuple(PersonLine(**person) for person in data.get("people", ()))
    return PlacementPeople(**{**data, "people": people})


def content_from_record(recipient: Recipient, delivery: DigestDelivery) -> DigestContent:
    """The content a sent delivery's record holds, for ``recipient``."""
    record = delivery.content or {}
    content = DigestContent(recipient, delivery.kind, date.fromisoformat(record["today"]))
    for name in _PLACEMENT_SECTIONS:
        getattr(content, name).extend(_placement_line(line) for line in record.get(name, ()))
    content.interest_changes.extend(
        InterestLine(**line) for line in record.get("interest_changes", ())
    )
    for name in _PEOPLE_SECTIONS:
        getattr(content, name).extend(_placement_people(line) for line in record.get(name, ()))
    content.new_practice_notes.extend(
        PracticeLine(**line) for line in record.get("new_practice_notes", ())
    )
    return content


@dataclass(frozen=True)
class SentDigest:
    """A sent digest as its recipient may see it again."""

    period: str
    sent_at: datetime
    content: DigestContent


def sent_digest(session: Session, user_id: int, delivery_id: int) -> SentDigest:
    """The digest ``delivery_id`` as it was sent to ``user_id``.

    NotFound unless it is that user's own, sent, and its content was kept: another person's
    digest is not theirs to know of.
    """
    delivery = session.get(DigestDelivery, delivery_id)
    user = session.get(User, user_id)
    if (
        delivery is None
        or user is None
        or delivery.recipient_id != user_id
        or delivery.status != DeliveryStatus.SENT
        or delivery.sent_at is None
        or not delivery.content
    ):
        raise NotFound(f"no sent digest {delivery_id} for user {user_id}")
    recipient = Recipient(
        id=user.id,
        email=user.email,
        name=user.display_name,
        role=user.role,
        since=delivery.sent_at,
        wants_this_kind=True,
        suppressed=False,
    )
    return SentDigest(delivery.period, delivery.sent_at, content_from_record(recipient, delivery))
