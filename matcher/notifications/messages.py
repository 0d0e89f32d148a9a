"""Who is told about each event, and what they are told.

Each builder reads the rows an event names, as they are now, and returns the ``Message`` to
send, or None when there is nothing to say any more (the user has gone, the invitation was
accepted meanwhile). Links are built from the routes; logs name ids only.

An interest's change is told to the other side: the person hears when the organisation
shortlists, offers or rejects; every member of the organisation hears when the person
expresses interest, withdraws, accepts or declines. A request to join an organisation is told
to the people who decide it, and the decision to the requester. Account emails carry a link
signed when the message is planned. When a round's results are published, every participant
and every member of an organisation with a place in it get one email each, linking to the
participant's result or to the organisation's page of the round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from matcher.events import (
    ACCOUNT_EXISTS_EMAIL_REQUESTED,
    CONFIRMATION_EMAIL_REQUESTED,
    EMAIL_CHANGE_EMAIL_REQUESTED,
    INTEREST_CHANGED,
    INTEREST_INVITATION_SENT,
    JOIN_REQUEST_DECIDED,
    JOIN_REQUEST_RECEIVED,
    MEMBERSHIP_INVITATION_SENT,
    ORGANISATION_VERIFIED,
    PASSWORD_RESET_EMAIL_REQUESTED,
    REFLECTION_REMINDER,
    REFLECTION_REQUESTED,
    ROUND_INVITATION_SENT,
    ROUND_RESULTS_TO_ORGANISATIONS,
    ROUND_RESULTS_TO_PARTICIPANTS,
)
from matcher.models import (
    AllocationResult,
    AllocationRound,
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
    Reflection,
    Role,
    RoundParticipant,
    RoundPlace,
    RoundState,
    Scheme,
    User,
    VerificationStatus,
    utcnow,
)
from matcher.notifications.links import email_link
from matcher.reasons import date_in_words
from matcher.security.tokens import CHANGE_EMAIL, CONFIRM_EMAIL, MAX_AGE, RESET_PASSWORD
from matcher.services.accounts import (
    confirmation_token,
    email_change_token,
    password_reset_token,
)
from matcher.services.memberships import invitation_token
from matcher.services.reflections import about, reflection_token
from matcher.services.round_participants import invitation_token as round_invitation_token

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """One message to plan: its recipients as (email, name), subject, template and context.

    The template gets the context plus ``recipient_name`` for each recipient, and what
    ``personal`` holds for their address (a link signed for them alone).
    """

    recipients: list[tuple[str, str]]
    subject: str
    template: str
    context: dict[str, Any]
    personal: dict[str, dict[str, Any]] = field(default_factory=dict)


Builder = Callable[[Session, Settings, dict[str, Any]], Message | None]


@dataclass(frozen=True)
class Copy:
    """The words of one kind of interest email: who gets it and what it says."""

    to_person: bool
    subject: str
    headline: str
    explanation: str


S = InterestStatus
# What each new status tells the other side; {person} and {placement} are filled in.
INTEREST_COPY: dict[InterestStatus, Copy] = {
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


def _members(session: Session, organisation_id: int, role: MembershipRole | None = None):
    query = (
        select(User.email, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id)
        .order_by(User.id)
    )
    if role is not None:
        query = query.where(Membership.role == role)
    return list(session.execute(query).tuples())


def interest_changed(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """Tell the other side about one transition of an interest."""
    transition = session.get(InterestTransition, payload["transition_id"])
    interest = session.get(Interest, payload["interest_id"])
    if transition is None or interest is None or transition.interest_id != interest.id:
        logger.info("interest %s: transition gone; nothing to send", payload["interest_id"])
        return None
    copy = INTEREST_COPY[transition.to_status]
    placement = session.get(Placement, interest.placement_id)
    person = session.get(User, interest.person_id)
    assert placement is not None and person is not None
    organisation = session.get(Organisation, placement.organisation_id)
    assert organisation is not None
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
        link = email_link(settings, "matches.interest", interest_id=interest.id)
    else:
        recipients = _members(session, organisation.id)
        link = email_link(settings, "candidates.placement_interests", placement_id=placement.id)
    return Message(
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


def interest_invitation_sent(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """Invite a person, for an organisation, to express interest in a placement."""
    invitation = session.get(InterestInvitation, payload["interest_invitation_id"])
    if invitation is None:
        return None
    person = session.get(User, invitation.person_id)
    placement = session.get(Placement, invitation.placement_id)
    assert person is not None and placement is not None
    organisation = session.get(Organisation, placement.organisation_id)
    assert organisation is not None
    return Message(
        [(person.email, person.display_name)],
        f"{organisation.name} invites you to express interest in {placement.title}",
        "interest_invitation",
        {
            "organisation_name": organisation.name,
            "placement_title": placement.title,
            "placement_summary": placement.summary,
            "link_url": email_link(settings, "placements.show", placement_id=placement.id),
        },
    )


def membership_invitation_sent(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """Send an invited address the link that lets it join an organisation."""
    invitation = session.get(Invitation, payload["invitation_id"])
    if invitation is None or not invitation.is_pending(utcnow()):
        logger.info("invitation %s is not pending; nothing to send", payload["invitation_id"])
        return None
    organisation = session.get(Organisation, invitation.organisation_id)
    inviter = session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
    assert organisation is not None
    token = invitation_token(invitation, secret_key=settings.secret_key)
    return Message(
        [(invitation.email, "")],
        f"You are invited to join {organisation.name} on matcher",
        "membership_invitation",
        {
            "organisation_name": organisation.name,
            "inviter_name": inviter.display_name if inviter else "An administrator",
            "expires_on": invitation.expires_at.strftime("%-d %B %Y"),
            "link_url": email_link(settings, "organisations.accept_invitation", token=token),
        },
    )


def join_request_received(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """Tell the people who decide a new join request: the organisation's administrators, or
    the platform administrators while it has none."""
    join_request = session.get(JoinRequest, payload["join_request_id"])
    if join_request is None or join_request.status != JoinRequestStatus.PENDING:
        logger.info("join request %s is not pending; nothing to send", payload["join_request_id"])
        return None
    organisation = session.get(Organisation, join_request.organisation_id)
    requester = session.get(User, join_request.user_id)
    assert organisation is not None and requester is not None
    recipients = _members(session, organisation.id, MembershipRole.ADMIN) or list(
        session.execute(
            select(User.email, User.display_name)
            .where(User.role == Role.ADMINISTRATOR)
            .order_by(User.id)
        ).tuples()
    )
    return Message(
        recipients,
        f"{requester.display_name} has asked to join {organisation.name}",
        "join_request_received",
        {
            "requester_name": requester.display_name,
            "requester_email": requester.email,
            "organisation_name": organisation.name,
            "message": join_request.message,
            "link_url": email_link(
                settings, "organisations.review_join_request", join_request_id=join_request.id
            ),
        },
    )


def join_request_decided(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """Tell the requester whether they may join the organisation."""
    join_request = session.get(JoinRequest, payload["join_request_id"])
    if join_request is None or join_request.status not in (
        JoinRequestStatus.APPROVED,
        JoinRequestStatus.DECLINED,
    ):
        logger.info("join request %s is undecided or gone", payload["join_request_id"])
        return None
    organisation = session.get(Organisation, join_request.organisation_id)
    requester = session.get(User, join_request.user_id)
    assert organisation is not None and requester is not None
    approved = join_request.status == JoinRequestStatus.APPROVED
    membership = session.scalars(
        select(Membership).where(
            Membership.user_id == requester.id, Membership.organisation_id == organisation.id
        )
    ).one_or_none()
    return Message(
        [(requester.email, requester.display_name)],
        f"You can now post placements for {organisation.name}"
        if approved
        else f"Your request to join {organisation.name}",
        "join_request_decided",
        {
            "approved": approved,
            "administrator": membership is not None and membership.role == MembershipRole.ADMIN,
            "organisation_name": organisation.name,
            "link_url": email_link(settings, "organisations.mine"),
        },
    )


def organisation_verified(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """Tell every administrator of a newly verified organisation."""
    organisation = session.get(Organisation, payload["organisation_id"])
    if organisation is None or organisation.status != VerificationStatus.VERIFIED:
        logger.info("organisation %s is not verified; nothing to send", payload["organisation_id"])
        return None
    return Message(
        _members(session, organisation.id, MembershipRole.ADMIN),
        "Your organisation is verified",
        "organisation_verified",
        {
            "organisation_name": organisation.name,
            "sign_in_url": email_link(settings, "public.home"),
        },
    )


def _hours(purpose: str) -> int:
    return MAX_AGE[purpose] // 3600


def confirmation_email(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """A link that confirms a new account's address."""
    user = session.get(User, payload["user_id"])
    if user is None or user.email_confirmed_at is not None:
        logger.info("user %s is gone or confirmed; no confirmation email", payload["user_id"])
        return None
    token = confirmation_token(settings.secret_key, user)
    return Message(
        [(user.email, user.display_name)],
        "Confirm your email address",
        "confirm_email",
        {
            "link": email_link(settings, "accounts.confirm_email", token=token),
            "hours": _hours(CONFIRM_EMAIL),
        },
    )


def account_exists_email(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """Tell the owner of an address that someone tried to register it again."""
    user = session.get(User, payload["user_id"])
    if user is None:
        return None
    return Message(
        [(user.email, user.display_name)],
        "You already have an account",
        "account_exists",
        {
            "sign_in_link": email_link(settings, "accounts.sign_in"),
            "reset_link": email_link(settings, "accounts.reset_password"),
        },
    )


def password_reset_email(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """A link that sets a new password once."""
    user = session.get(User, payload["user_id"])
    if user is None:
        return None
    token = password_reset_token(settings.secret_key, user)
    return Message(
        [(user.email, user.display_name)],
        "Reset your password",
        "password_reset",
        {
            "link": email_link(settings, "accounts.new_password", token=token),
            "minutes": MAX_AGE[RESET_PASSWORD] // 60,
        },
    )


def email_change_email(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """A link, sent to the new address, that moves the account to it."""
    user = session.get(User, payload["user_id"])
    if user is None or user.pending_email is None:
        return None
    token = email_change_token(settings.secret_key, user, user.pending_email)
    return Message(
        [(user.pending_email, user.display_name)],
        "Confirm your new email address",
        "change_email",
        {
            "link": email_link(settings, "accounts.account_email_confirm", token=token),
            "hours": _hours(CHANGE_EMAIL),
        },
    )


def _published_round(payload: dict[str, Any], session: Session) -> AllocationRound | None:
    allocation_round = session.get(AllocationRound, payload["round_id"])
    if allocation_round is None or allocation_round.state != RoundState.PUBLISHED:
        logger.info("round %s is not published; nothing to send", payload["round_id"])
        return None
    return allocation_round


def _round_context(session: Session, allocation_round: AllocationRound) -> dict[str, Any]:
    scheme = session.get(Scheme, allocation_round.scheme_id)
    assert scheme is not None
    deadline = allocation_round.confirmations_close_at
    return {
        "round_name": allocation_round.name,
        "scheme_name": scheme.name,
        "deadline": date_in_words(deadline.date()) if deadline else None,
    }


def round_results_to_participants(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """Tell every participant of a published round that their result is ready."""
    allocation_round = _published_round(payload, session)
    if allocation_round is None:
        return None
    recipients = list(
        session.execute(
            select(User.email, User.display_name)
            .join(RoundParticipant, RoundParticipant.user_id == User.id)
            .join(AllocationResult, AllocationResult.participant_id == RoundParticipant.id)
            .where(AllocationResult.round_id == allocation_round.id)
            .order_by(User.id)
        ).tuples()
    )
    context = _round_context(session, allocation_round)
    return Message(
        recipients,
        f"Your result in {allocation_round.name}",
        "round_results_participant",
        {
            **context,
            "link_url": email_link(
                settings, "round_choices.your_result", round_id=allocation_round.id
            ),
        },
    )


def round_results_to_organisations(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """Tell every member of each organisation with a place in a published round who is coming."""
    allocation_round = _published_round(payload, session)
    if allocation_round is None:
        return None
    recipients = list(
        session.execute(
            select(User.email, User.display_name)
            .join(Membership, Membership.user_id == User.id)
            .join(Placement, Placement.organisation_id == Membership.organisation_id)
            .join(RoundPlace, RoundPlace.placement_id == Placement.id)
            .where(RoundPlace.round_id == allocation_round.id)
            .group_by(User.id, User.email, User.display_name)
            .order_by(User.id)
        ).tuples()
    )
    context = _round_context(session, allocation_round)
    return Message(
        recipients,
        f"Who is coming to you from {allocation_round.name}",
        "round_results_organisation",
        {
            **context,
            "link_url": email_link(
                settings, "round_offers.round_page", round_id=allocation_round.id
            ),
        },
    )


def round_invitation_sent(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """Send an address invited to a round the link that lets it join."""
    participant = session.get(RoundParticipant, payload["participant_id"])
    if participant is None or participant.user_id is not None or not participant.invited_email:
        logger.info(
            "round invitation %s is not pending; nothing to send", payload["participant_id"]
        )
        return None
    allocation_round = session.get(AllocationRound, participant.round_id)
    assert allocation_round is not None
    token = round_invitation_token(participant, secret_key=settings.secret_key)
    return Message(
        [(participant.invited_email, "")],
        f"You are invited to {allocation_round.name}",
        "round_invitation",
        {
            **_round_context(session, allocation_round),
            "link_url": email_link(settings, "round_choices.accept_invitation", token=token),
        },
    )


def _reflection_message(
    session: Session, settings: Settings, payload: dict[str, Any], reminder: bool
) -> Message | None:
    reflection = session.get(Reflection, payload["reflection_id"])
    if reflection is None or reflection.submitted_at is not None:
        logger.info("reflection %s is given or gone; nothing to send", payload["reflection_id"])
        return None
    if reflection.closes_at <= utcnow():
        logger.info("reflection %s has closed; nothing to send", reflection.id)
        return None
    placement = about(session, reflection)
    ended = placement.last_day
    if placement.is_secondee:
        people = [(placement.secondee_id, placement.secondee_email, placement.secondee_name)]
        subject = f"How did your placement with {placement.organisation_name} go?"
        headline = f"Reflect on your placement with {placement.organisation_name}"
        words = (
            f"Your placement, {placement.placement_title}, with "
            f"{placement.organisation_name} ended on {ended}."
        )
        why = (
            "Your answers help other civil servants choose a placement. If you agree, what "
            "you learned can be quoted on the organisation's page, without your name."
        )
    else:
        people = list(
            session.execute(
                select(User.id, User.email, User.display_name)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.organisation_id == placement.organisation_id)
                .order_by(User.id)
            ).tuples()
        )
        subject = f"How did hosting {placement.secondee_name} go?"
        headline = f"Reflect on hosting {placement.secondee_name}"
        words = (
            f"{placement.secondee_name}'s placement with {placement.organisation_name}, "
            f"{placement.placement_title}, ended on {ended}."
        )
        why = (
            "One answer is needed for your organisation: if a colleague has already "
            "answered, you can read and change what they wrote."
        )
    if reminder:
        subject = f"Reminder: {subject[0].lower()}{subject[1:]}"
    return Message(
        [(email, name) for _, email, name in people],
        subject,
        "reflection_request",
        {
            "headline": headline,
            "ended": words,
            "why": why,
            "closes_on": placement.closes_on,
        },
        personal={
            email: {
                "link_url": email_link(
                    settings,
                    "reflections.from_email",
                    token=reflection_token(settings.secret_key, reflection.id, user_id),
                )
            }
            for user_id, email, _ in people
        },
    )


def reflection_requested(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """Ask one side of a completed placement for its reflection."""
    return _reflection_message(session, settings, payload, reminder=False)


def reflection_reminder(
    session: Session, settings: Settings, payload: dict[str, Any]
) -> Message | None:
    """Remind one side of a completed placement, once, that its reflection is still to give."""
    return _reflection_message(session, settings, payload, reminder=True)


# The message each event asks for; every event here gets an email task of its own name.
MESSAGES: dict[str, Builder] = {
    INTEREST_CHANGED: interest_changed,
    INTEREST_INVITATION_SENT: interest_invitation_sent,
    MEMBERSHIP_INVITATION_SENT: membership_invitation_sent,
    JOIN_REQUEST_RECEIVED: join_request_received,
    JOIN_REQUEST_DECIDED: join_request_decided,
    ORGANISATION_VERIFIED: organisation_verified,
    CONFIRMATION_EMAIL_REQUESTED: confirmation_email,
    ACCOUNT_EXISTS_EMAIL_REQUESTED: account_exists_email,
    PASSWORD_RESET_EMAIL_REQUESTED: password_reset_email,
    EMAIL_CHANGE_EMAIL_REQUESTED: email_change_email,
    ROUND_RESULTS_TO_PARTICIPANTS: round_results_to_participants,
    ROUND_RESULTS_TO_ORGANISATIONS: round_results_to_organisations,
    ROUND_INVITATION_SENT: round_invitation_sent,
    REFLECTION_REQUESTED: reflection_requested,
    REFLECTION_REMINDER: reflection_reminder,
}
