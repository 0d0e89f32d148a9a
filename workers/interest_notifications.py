"""Emails for the interest workflow, invitations and join requests, sent from outbox events.

An interest's change is told to the other side: the person hears when the organisation
shortlists, offers or rejects; every member of the organisation hears when the person
expresses interest, withdraws, accepts or declines. A request to join an organisation is told
to the people who decide it, and the decision to the requester. Each event is processed once
(``workers.outbox_tasks``); a message is built from the rows as they are now, and logs name
ids only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from matcher import notifications
from matcher.events import (
    INTEREST_CHANGED,
    INTEREST_INVITATION_SENT,
    JOIN_REQUEST_DECIDED,
    JOIN_REQUEST_RECEIVED,
    MEMBERSHIP_INVITATION_SENT,
)
from matcher.extensions import db
from matcher.models import (
    Interest,
    InterestInvitation,
    InterestStatus,
    InterestTransition,
    Invitation,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MembershipRole,
    Organisation,
    Placement,
    PlacementStatus,
    Role,
    User,
    utcnow,
)
from matcher.services.memberships import invitation_token
from workers.outbox_tasks import outbox_task
from workers.queues import QUEUE_EMAIL, queued_task

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Copy:
    """The words of one kind of email: who gets it and what it says."""

    to_person: bool
    subject: str
    headline: str
    explanation: str


S = InterestStatus
# What each new status tells the other side; {person} and {placement} are filled in.
COPY: dict[InterestStatus, Copy] = {
    S.SHORTLISTED: Copy(
        True,
        "You have been shortlisted for {placement}",
        "{organisation} has shortlisted you for {placement}",
        "They may contact you to talk about the placement before making an offer.",
    ),
    S.OFFERED: Copy(
        True,
        "You have been offered {placement}",
        "{organisation} has offered you {placement}",
        "Read their message below, then sign in to accept or decline the offer.",
    ),
    S.REJECTED: Copy(
        True,
        "Update on your interest in {placement}",
        "{organisation} will not be taking your interest in {placement} further",
        "Thank you for your interest. Your matches page shows other placements that suit you.",
    ),
    S.INTERESTED: Copy(
        False,
        "{person} is interested in {placement}",
        "{person} is interested in {placement}",
        "Sign in to see their profile and email address, and to shortlist them.",
    ),
    S.WITHDRAWN: Copy(
        False,
        "{person} withdrew their interest in {placement}",
        "{person} has withdrawn their interest in {placement}",
        "You do not need to do anything.",
    ),
    S.ACCEPTED: Copy(
        False,
        "{person} accepted your offer for {placement}",
        "{person} has accepted your offer for {placement}",
        "Get in touch with them to agree their start date and arrangements.",
    ),
    S.DECLINED: Copy(
        False,
        "{person} declined your offer for {placement}",
        "{person} has declined your offer for {placement}",
        "Sign in to see the other people interested in the placement.",
    ),
}


def _settings() -> Settings:
    return current_app.config["MATCHER_SETTINGS"]


def _send(
    session: Session,
    payload: dict[str, Any],
    recipients: Sequence[tuple[str, str]],
    subject: str,
    template: str,
    context: dict[str, Any],
) -> int:
    """Plan one delivery per recipient of this event's message and send those still due.

    Planning commits with the event; each send then commits its own row, so a retry, a second
    run of the event or one recipient's bad address never repeats or stops the others.
    """
    key = notifications.message_key(template, payload)
    notifications.plan(session, key, recipients, subject, template, context)
    return notifications.send_pending(session, _settings(), key).sent


@outbox_task(INTEREST_CHANGED, queue=QUEUE_EMAIL)
def interest_changed(session: Session, payload: dict[str, Any]) -> None:
    """Email the other side about one transition of an interest."""
    transition = session.get(InterestTransition, payload["transition_id"])
    interest = session.get(Interest, payload["interest_id"])
    if transition is None or interest is None or transition.interest_id != interest.id:
        logger.info("interest %s: transition gone; nothing to send", payload["interest_id"])
        return
    copy = COPY[transition.to_status]
    placement = session.get(Placement, interest.placement_id)
    person = session.get(User, interest.person_id)
    assert placement is not None and person is not None
    organisation = session.get(Organisation, placement.organisation_id)
    assert organisation is not None
    base_url = _settings().base_url
    words = {
        "person": person.display_name,
        "placement": placement.title,
        "organisation": organisation.name,
    }
    # An offer carries the organisation's message; an acceptance tells the organisation how to
    # reach the person, who said they are interested and accepted.
    message = interest.offer_message if transition.to_status == S.OFFERED else None
    contact = (
        {"name": person.display_name, "email": person.email}
        if transition.to_status == S.ACCEPTED
        else None
    )
    filled = (
        " Every place is now taken, so the placement is filled and no longer taking interest."
        if transition.to_status == S.ACCEPTED and placement.status == PlacementStatus.FILLED
        else ""
    )
    if copy.to_person:
        recipients = [(person.email, person.display_name)]
        link = f"{base_url}/interests/{interest.id}"
    else:
        members = session.execute(
            select(User.email, User.display_name)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation.id)
            .order_by(User.id)
        ).tuples()
        recipients = list(members)
        link = f"{base_url}/placements/{placement.id}/interests"
    sent = _send(
        session,
        payload,
        recipients,
        copy.subject.format(**words),
        "interest_changed",
        {
            "headline": copy.headline.format(**words),
            "explanation": copy.explanation + filled,
            "message": message,
            "contact": contact,
            "link_url": link,
        },
    )
    logger.info("interest %s is %s: sent %d emails", interest.id, transition.to_status, sent)


@outbox_task(INTEREST_INVITATION_SENT, queue=QUEUE_EMAIL)
def interest_invitation_sent(session: Session, payload: dict[str, Any]) -> None:
    """Email a person whom an organisation invited to express interest in a placement."""
    invitation = session.get(InterestInvitation, payload["interest_invitation_id"])
    if invitation is None:
        return
    person = session.get(User, invitation.person_id)
    placement = session.get(Placement, invitation.placement_id)
    assert person is not None and placement is not None
    organisation = session.get(Organisation, placement.organisation_id)
    assert organisation is not None
    sent = _send(
        session,
        payload,
        [(person.email, person.display_name)],
        f"{organisation.name} invites you to express interest in {placement.title}",
        "interest_invitation",
        {
            "organisation_name": organisation.name,
            "placement_title": placement.title,
            "placement_summary": placement.summary,
            "link_url": f"{_settings().base_url}/placements/{placement.id}",
        },
    )
    logger.info("interest invitation %s: sent %d emails", invitation.id, sent)


@outbox_task(MEMBERSHIP_INVITATION_SENT, queue=QUEUE_EMAIL)
def membership_invitation_sent(session: Session, payload: dict[str, Any]) -> None:
    """Email the link that lets an invited address join an organisation."""
    invitation = session.get(Invitation, payload["invitation_id"])
    if invitation is None or not invitation.is_pending(utcnow()):
        logger.info("invitation %s is not pending; nothing to send", payload["invitation_id"])
        return
    organisation = session.get(Organisation, invitation.organisation_id)
    inviter = session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
    assert organisation is not None
    sent = _send(
        session,
        payload,
        [(invitation.email, "")],
        f"You are invited to join {organisation.name} on matcher",
        "membership_invitation",
        {
            "organisation_name": organisation.name,
            "inviter_name": inviter.display_name if inviter else "An administrator",
            "expires_on": invitation.expires_at.strftime("%-d %B %Y"),
            "link_url": f"{_settings().base_url}/invitations/{invitation_token(invitation)}",
        },
    )
    logger.info("invitation %s: sent %d emails", invitation.id, sent)


@outbox_task(JOIN_REQUEST_RECEIVED, queue=QUEUE_EMAIL)
def join_request_received(session: Session, payload: dict[str, Any]) -> None:
    """Email the people who decide a new join request: the organisation's administrators, or
    the platform administrators while it has none."""
    join_request = session.get(JoinRequest, payload["join_request_id"])
    if join_request is None or join_request.status != JoinRequestStatus.PENDING:
        logger.info("join request %s is not pending; nothing to send", payload["join_request_id"])
        return
    organisation = session.get(Organisation, join_request.organisation_id)
    requester = session.get(User, join_request.user_id)
    assert organisation is not None and requester is not None
    admins = select(User.email, User.display_name).order_by(User.id)
    recipients = list(
        session.execute(
            admins.join(Membership, Membership.user_id == User.id).where(
                Membership.organisation_id == organisation.id,
                Membership.role == MembershipRole.ADMIN,
            )
        ).tuples()
    ) or list(session.execute(admins.where(User.role == Role.ADMINISTRATOR)).tuples())
    sent = _send(
        session,
        payload,
        recipients,
        f"{requester.display_name} has asked to join {organisation.name}",
        "join_request_received",
        {
            "requester_name": requester.display_name,
            "requester_email": requester.email,
            "organisation_name": organisation.name,
            "message": join_request.message,
            "link_url": f"{_settings().base_url}/join-requests/{join_request.id}",
        },
    )
    logger.info("join request %s received: sent %d emails", join_request.id, sent)


@outbox_task(JOIN_REQUEST_DECIDED, queue=QUEUE_EMAIL)
def join_request_decided(session: Session, payload: dict[str, Any]) -> None:
    """Email the requester whether they may join the organisation."""
    join_request = session.get(JoinRequest, payload["join_request_id"])
    if join_request is None or join_request.status not in (
        JoinRequestStatus.APPROVED,
        JoinRequestStatus.DECLINED,
    ):
        logger.info("join request %s is undecided or gone", payload["join_request_id"])
        return
    organisation = session.get(Organisation, join_request.organisation_id)
    requester = session.get(User, join_request.user_id)
    assert organisation is not None and requester is not None
    approved = join_request.status == JoinRequestStatus.APPROVED
    membership = session.scalars(
        select(Membership).where(
            Membership.user_id == requester.id, Membership.organisation_id == organisation.id
        )
    ).one_or_none()
    subject = (
        f"You can now post placements for {organisation.name}"
        if approved
        else f"Your request to join {organisation.name}"
    )
    sent = _send(
        session,
        payload,
        [(requester.email, requester.display_name)],
        subject,
        "join_request_decided",
        {
            "approved": approved,
            "administrator": membership is not None and membership.role == MembershipRole.ADMIN,
            "organisation_name": organisation.name,
            "link_url": f"{_settings().base_url}/organisation",
        },
    )
    logger.info("join request %s is %s: sent %d emails", join_request.id, join_request.status, sent)


@queued_task("notifications.send_due", queue=QUEUE_EMAIL)
def send_due_notifications() -> None:
    """Retry the notification deliveries a temporary failure left pending, once they are due."""
    outcome = notifications.send_pending(db.session, _settings())
    if outcome.sent or outcome.failed or outcome.deferred:
        logger.info(
            "due notifications: %d sent, %d failed for good, %d deferred",
            outcome.sent,
            outcome.failed,
            outcome.deferred,
        )
