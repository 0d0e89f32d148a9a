"""Everything the service holds about one person, for "download my data" (UK GDPR article 15).

Each section is what the person gave or what was done about them. Other people appear only by
role ("you", "the organisation"), never by name, and secrets (password hash, API token digests)
never leave the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from matcher.models import (
    ApiToken,
    AuditEntry,
    Dismissal,
    FormDraft,
    Interest,
    InterestInvitation,
    InterestTransition,
    Invitation,
    JoinRequest,
    Match,
    Membership,
    Organisation,
    Placement,
    User,
    utcnow,
)
from matcher.services.errors import NotFound
from matcher.services.profiles import profile_as_data


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _account(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "new_email_waiting_for_confirmation": user.pending_email,
        "name": user.display_name,
        "role": user.role.value,
        "email_confirmed_at": _iso(user.email_confirmed_at),
        "last_signed_in_at": _iso(user.last_signed_in_at),
        "created_at": _iso(user.created_at),
    }


def _memberships(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Membership, Organisation.name)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.user_id == user.id)
        .order_by(Membership.id)
    ).all()
    return [
        {"organisation": name, "role": m.role.value, "since": _iso(m.created_at)}
        for m, name in rows
    ]


def _join_requests(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(JoinRequest, Organisation.name)
        .join(Organisation, Organisation.id == JoinRequest.organisation_id)
        .where(JoinRequest.user_id == user.id)
        .order_by(JoinRequest.id)
    ).all()
    return [
        {
            "organisation": name,
            "message": request.message,
            "status": request.status.value,
            "asked_at": _iso(request.created_at),
            "decided_at": _iso(request.decided_at),
        }
        for request, name in rows
    ]


def _membership_invitations(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Invitation, Organisation.name)
        .join(Organisation, Organisation.id == Invitation.organisation_id)
        .where(or_(Invitation.email == user.email, Invitation.accepted_by_id == user.id))
        .order_by(Invitation.id)
    ).all()
    return [
        {
            "organisation": name,
            "role": invitation.role.value,
            "sent_at": _iso(invitation.created_at),
            "expires_at": _iso(invitation.expires_at),
            "accepted_at": _iso(invitation.accepted_at),
            "revoked_at": _iso(invitation.revoked_at),
        }
        for invitation, name in rows
    ]


def _api_tokens(session: Session, user: User) -> list[dict[str, Any]]:
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    ).all()
    return [
        {
            "name": token.name,
            "organisation": token.organisation.name if token.organisation else None,
            "created_at": _iso(token.created_at),
            "expires_at": _iso(token.expires_at),
            "last_used_at": _iso(token.last_used_at),
            "revoked_at": _iso(token.revoked_at),
        }
        for token in tokens
    ]


def _interests(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Interest, Placement.title)
        .join(Placement, Placement.id == Interest.placement_id)
        .where(Interest.person_id == user.id)
        .order_by(Interest.id)
    ).all()
    steps = session.scalars(
        select(InterestTransition)
        .where(InterestTransition.interest_id.in_([interest.id for interest, _ in rows]))
        .order_by(InterestTransition.interest_id, InterestTransition.at, InterestTransition.id)
    ).all()
    history: dict[int, list[dict[str, Any]]] = {}
    for step in steps:
        history.setdefault(step.interest_id, []).append(
            {
                "status": step.to_status.value,
                "at": _iso(step.at),
                "by": "you" if step.actor_id == user.id else "the organisation",
            }
        )
    return [
        {
            "placement_id": interest.placement_id,
            "placement_title": title,
            "status": interest.status.value,
            "offer_message": interest.offer_message,
            "created_at": _iso(interest.created_at),
            "updated_at": _iso(interest.updated_at),
            "history": history.get(interest.id, []),
        }
        for interest, title in rows
    ]


def _interest_invitations(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(InterestInvitation, Placement.title)
        .join(Placement, Placement.id == InterestInvitation.placement_id)
        .where(InterestInvitation.person_id == user.id)
        .order_by(InterestInvitation.id)
    ).all()
    return [
        {"placement_id": i.placement_id, "placement_title": title, "sent_at": _iso(i.created_at)}
        for i, title in rows
    ]


def _matches(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Match, Placement.title)
        .join(Placement, Placement.id == Match.placement_id)
        .where(Match.person_id == user.id)
        .order_by(Match.rank)
    ).all()
    return [
        {
            "placement_id": match.placement_id,
            "placement_title": title,
            "rank": match.rank,
            "score": match.score,
            "reasons": match.reasons,
            "computed_at": _iso(match.computed_at),
        }
        for match, title in rows
    ]


def _sign_ins(session: Session, user: User) -> list[str | None]:
    return [
        _iso(at)
        for at in session.scalars(
            select(AuditEntry.at)
            .where(AuditEntry.actor_id == user.id, AuditEntry.action == "account.signed_in")
            .order_by(AuditEntry.at)
        )
    ]


def export_personal_data(session: Session, user_id: int) -> dict[str, Any]:
    """Everything the service holds about one person, as JSON-ready data."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    dismissals = session.scalars(
        select(Dismissal).where(Dismissal.person_id == user.id).order_by(Dismissal.placement_id)
    ).all()
    return {
        "exported_at": utcnow().isoformat(),
        "account": _account(user),
        "sign_ins": _sign_ins(session, user),
        "memberships": _memberships(session, user),
        "join_requests": _join_requests(session, user),
        "membership_invitations": _membership_invitations(session, user),
        "api_tokens": _api_tokens(session, user),
        "profile": profile_as_data(user.profile) if user.profile is not None else None,
        "interests": _interests(session, user),
        "invitations_to_express_interest": _interest_invitations(session, user),
        "matches": _matches(session, user),
        "not_for_me": [
            {"placement_id": d.placement_id, "created_at": _iso(d.created_at)} for d in dismissals
        ],
        "unsaved_answers": {
            draft.form: draft.answers
            for draft in session.scalars(select(FormDraft).where(FormDraft.user_id == user.id))
        },
    }
