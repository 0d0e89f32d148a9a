"""Use cases about who acts for an organisation: proposing, joining, inviting, removing.

Organisation members (users whose role is ``organisation_member``) propose a new organisation
and become its first administrator; a platform administrator verifies
(``matcher.services.organisations``) or rejects it. A member joins a verified organisation
by accepting an invitation that one of its administrators sent to their address, or by asking
to join: a join request that an administrator of the organisation approves or declines (a
platform administrator decides for an organisation that has no administrator yet, like the
councils and forces of the reference list). A confirmed address in the organisation's email
domain is itself such a request: its administrators approve it, and only an organisation
nobody runs yet lets that first person straight in, as its administrator. Someone an
administrator removed cannot come back by domain until an administrator invites them or
approves a request they make. Administrators invite, remove and change the role of members;
an organisation always keeps at least one administrator. Every membership change locks the
organisation's row first, so two concurrent changes cannot both remove "the other" last
administrator.

Invitation tokens are signed with the secret key the caller passes and name the invitation's
id; the row holds no secret, so the email task can rebuild the link and revoking the row kills
the token.
"""

from __future__ import annotations

import re
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from matcher import audit, outbox
from matcher.events import (
    JOIN_REQUEST_DECIDED,
    JOIN_REQUEST_RECEIVED,
    MEMBERSHIP_INVITATION_SENT,
)
from matcher.models import (
    Invitation,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Region,
    Role,
    User,
    VerificationStatus,
    utcnow,
)
from matcher.models.organisations import MembershipRemoval
from matcher.services.access import (
    is_platform_admin,
    load_actor,
    membership_of,
    require_member,
    require_org_admin,
    require_platform_admin,
)
from matcher.services.accounts import (
    CLAIMABLE_DOMAIN_MESSAGE,
    is_claimable_domain,
    normalise_email,
    organisation_for_email,
)
from matcher.services.errors import InvalidState, NotFound, NotPermitted
from matcher.services.text import (
    has_hidden_characters,
    hidden_characters_message,
    plain_line_breaks,
)
from matcher.services.upsert import insert_unless_exists
from matcher.services.validation import ValidationFailed

INVITATION_LIFETIME = timedelta(days=14)
NAME_MAX = 150
EMAIL_MAX = 254
MESSAGE_MAX = 500
_TOKEN_SALT = "matcher.invitation"
_EMAIL = re.compile(r"^[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,}$")
_DOMAIN = re.compile(r"^([a-z0-9-]+\.)+[a-z]{2,}$")
_ONS_CODE = re.compile(r"^[EWSN]\d{8}$")


def _require_organisation_member_role(actor: User, action: str) -> None:
    if actor.role != Role.ORGANISATION_MEMBER:
        raise NotPermitted(f"only an organisation member account can {action}")


def _organisation(session: Session, organisation_id: int, *, lock: bool = False) -> Organisation:
    organisation = session.get(
        Organisation, organisation_id, with_for_update=lock or None, populate_existing=lock
    )
    if organisation is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    return organisation


def email_in_domain(email: str, domain: str | None) -> bool:
    """Whether ``email`` is at ``domain`` or one of its subdomains."""
    if not domain:
        return False
    host = email.rpartition("@")[2].lower()
    domain = domain.lower()
    return host == domain or host.endswith("." + domain)


def propose_organisation(
    session: Session,
    actor_id: int,
    *,
    name: str,
    kind: str,
    region_code: str | None = None,
    email_domain: str | None = None,
    ons_code: str | None = None,
) -> Organisation:
    """Propose an organisation missing from the list; the proposer becomes its administrator."""
    actor = load_actor(session, actor_id)
    _require_organisation_member_role(actor, "propose an organisation")
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = "Enter the name of the organisation"
    elif has_hidden_characters(name):
        errors["name"] = hidden_characters_message("Name")
    elif len(name) > NAME_MAX:
        errors["name"] = f"Name must be {NAME_MAX} characters or fewer"
    elif session.scalar(
        select(Organisation.id).where(func.lower(Organisation.name) == name.lower())
    ):
        errors["name"] = "An organisation with this name already exists"
    try:
        organisation_kind = OrganisationKind(kind)
    except ValueError:
        errors["kind"] = "Select the kind of organisation"
        organisation_kind = None
    ons_code = (ons_code or "").strip().upper() or None
    if organisation_kind == OrganisationKind.COUNCIL and ons_code is None:
        errors["ons_code"] = "Enter the council's ONS code, like E07000123"
    elif ons_code is not None and not _ONS_CODE.match(ons_code):
        errors["ons_code"] = "Enter a real ONS code, like E07000123"
    elif ons_code is not None and session.scalar(
        select(Organisation.id).where(Organisation.ons_code == ons_code)
    ):
        errors["ons_code"] = "An organisation with this ONS code already exists"
    region_code = (region_code or "").strip() or None
    if region_code is not None and session.get(Region, region_code) is None:
        errors["region_code"] = "Select a region from the list"
    email_domain = (email_domain or "").strip().lower().lstrip("@") or None
    if email_domain is not None:
        if not _DOMAIN.match(email_domain):
            errors["email_domain"] = "Enter an email domain, like leeds.gov.uk"
        elif not is_claimable_domain(email_domain):
            errors["email_domain"] = CLAIMABLE_DOMAIN_MESSAGE
        elif session.scalar(
            select(Organisation.id).where(Organisation.email_domain == email_domain)
        ):
            errors["email_domain"] = "Another organisation already uses this email domain"
        elif not email_in_domain(actor.email, email_domain):
            # Joining by domain admits anyone at it, so only someone at it may claim it.
            errors["email_domain"] = "Your email address must be in this domain"
    if errors:
        raise ValidationFailed(errors)
    assert organisation_kind is not None
    inserted = insert_unless_exists(
        session,
        Organisation,
        {
            "name": name,
            "kind": organisation_kind,
            "ons_code": ons_code,
            "region_code": region_code,
            "email_domain": email_domain,
            "status": VerificationStatus.PROPOSED,
            "created_by_id": actor.id,
        },
    )
    if not inserted:
        # Someone proposed the same name or code a moment ago.
        raise ValidationFailed({"name": "An organisation with this name already exists"})
    organisation = session.scalars(select(Organisation).where(Organisation.name == name)).one()
    membership = Membership(
        user_id=actor.id, organisation_id=organisation.id, role=MembershipRole.ADMIN
    )
    session.add(membership)
    session.flush()
    audit.record(
        session,
        actor.id,
        "organisation.proposed",
        "organisation",
        organisation.id,
        {"fields": ["name", "kind", "ons_code", "region_code", "email_domain"]},
    )
    _audit_membership(session, actor.id, "membership.created", membership)
    return organisation


def reject_organisation(session: Session, actor_id: int, organisation_id: int) -> Organisation:
    """Reject a proposed organisation as a platform administrator."""
    actor = load_actor(session, actor_id)
    require_platform_admin(actor, "reject an organisation")
    organisation = _organisation(session, organisation_id, lock=True)
    if organisation.status != VerificationStatus.PROPOSED:
        raise InvalidState(
            f"organisation {organisation.id} is {organisation.status.value}, not proposed"
        )
    organisation.status = VerificationStatus.REJECTED
    audit.record(
        session,
        actor.id,
        "organisation.rejected",
        "organisation",
        organisation.id,
        {"status": {"from": "proposed", "to": "rejected"}},
    )
    return organisation


def _audit_membership(session: Session, actor_id: int, action: str, membership: Membership) -> None:
    audit.record(
        session,
        actor_id,
        action,
        "membership",
        membership.id,
        {
            "organisation_id": membership.organisation_id,
            "user_id": membership.user_id,
            "role": membership.role.value,
        },
    )


def was_removed(session: Session, user_id: int, organisation_id: int) -> bool:
    """Whether an administrator removed the user from the organisation and nobody let them
    back since."""
    return (
        session.scalar(
            select(MembershipRemoval.id).where(
                MembershipRemoval.user_id == user_id,
                MembershipRemoval.organisation_id == organisation_id,
            )
        )
        is not None
    )


def _let_back(session: Session, user_id: int, organisation_id: int) -> None:
    """Forget a removal: an administrator has invited or approved the person again."""
    removal = session.scalar(
        select(MembershipRemoval).where(
            MembershipRemoval.user_id == user_id,
            MembershipRemoval.organisation_id == organisation_id,
        )
    )
    if removal is not None:
        session.delete(removal)
        session.flush()


def join_organisation(
    session: Session, actor_id: int, organisation_id: int
) -> Membership | JoinRequest:
    """Join a verified organisation whose email domain the actor's confirmed address is in.

    Where the organisation has administrators this asks them (a pending join request, which
    is returned); an organisation nobody runs yet takes the actor as its administrator.
    Joining again returns the existing membership.
    """
    actor = load_actor(session, actor_id)
    _require_organisation_member_role(actor, "join an organisation")
    organisation = _organisation(session, organisation_id, lock=True)
    existing = membership_of(session, actor.id, organisation.id)
    if existing is not None:
        return existing
    if organisation.status != VerificationStatus.VERIFIED:
        raise InvalidState(f"organisation {organisation.id} is not verified")
    if organisation.merged_into_id is not None:
        raise InvalidState(f"organisation {organisation.id} was merged into another")
    if actor.email_confirmed_at is None:
        raise NotPermitted(f"user {actor.id} has not confirmed their email address")
    if not email_in_domain(actor.email, organisation.email_domain):
        raise NotPermitted(
            f"user {actor.id}'s email domain is not organisation {organisation.id}'s: "
            "ask one of its administrators for an invitation"
        )
    if was_removed(session, actor.id, organisation.id):
        raise NotPermitted(
            f"user {actor.id} was removed from organisation {organisation.id}: "
            "only an invitation or an approved request lets them back"
        )
    if _admin_count(session, organisation.id) > 0:
        return request_to_join(session, actor.id, organisation.id)
    membership = Membership(
        user_id=actor.id, organisation_id=organisation.id, role=MembershipRole.ADMIN
    )
    session.add(membership)
    session.flush()
    _audit_membership(session, actor.id, "membership.created", membership)
    return membership


def join_by_confirmed_address(session: Session, user_id: int) -> Membership | JoinRequest | None:
    """Start joining the organisation whose domain a just-confirmed address is in, if any."""
    user = load_actor(session, user_id)
    if user.role != Role.ORGANISATION_MEMBER or user.email_confirmed_at is None:
        return None
    organisation = organisation_for_email(session, user.email)
    if organisation is None or was_removed(session, user.id, organisation.id):
        return None
    invited = session.scalar(
        select(Invitation.id).where(
            Invitation.organisation_id == organisation.id,
            Invitation.email == user.email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    if invited is not None:
        # Their invitation lets them in; a request would only ask the administrators again.
        return None
    return join_organisation(session, user.id, organisation.id)


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_TOKEN_SALT)


def invitation_token(invitation: Invitation, *, secret_key: str) -> str:
    """The signed token that lets the invitee accept ``invitation``; goes in the email link."""
    return str(_serializer(secret_key).dumps({"invitation": invitation.id}))


def invitation_id_from_token(token: str, *, secret_key: str) -> int | None:
    """The id of the invitation a genuine link names; None for a forged or mangled link."""
    try:
        claims = _serializer(secret_key).loads(token)
        return int(claims["invitation"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def invite_member(
    session: Session,
    actor_id: int,
    organisation_id: int,
    email: str,
    role: MembershipRole = MembershipRole.MEMBER,
) -> Invitation:
    """Invite an email address to join the organisation (its administrators only).

    Inviting an address that already has a pending invitation renews it and sends it again.
    """
    actor = load_actor(session, actor_id)
    organisation = _organisation(session, organisation_id, lock=True)
    require_org_admin(session, actor, organisation.id)
    if organisation.status == VerificationStatus.REJECTED:
        raise InvalidState(f"organisation {organisation.id} was rejected")
    email = normalise_email(email or "")
    if not email:
        raise ValidationFailed({"email": "Enter an email address"})
    if len(email) > EMAIL_MAX or not _EMAIL.match(email):
        raise ValidationFailed(
            {"email": "Enter an email address in the correct format, like name@example.gov.uk"}
        )
    role = MembershipRole(role)
    already = session.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == organisation.id, User.email == email)
    )
    if already is not None:
        raise ValidationFailed({"email": "This person is already a member of the organisation"})
    now = utcnow()
    invitation = session.scalars(
        select(Invitation)
        .where(
            Invitation.organisation_id == organisation.id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .with_for_update()
    ).one_or_none()
    if invitation is not None and invitation.expires_at <= now:
        # An expired invitation still holds the one pending slot; retire it for the new one.
        invitation.revoked_at = now
        session.flush()
        invitation = None
    action = "invitation.resent"
    if invitation is None:
        action = "invitation.created"
        invitation = Invitation(organisation_id=organisation.id, email=email, created_at=now)
        session.add(invitation)
    invitation.role = role
    invitation.invited_by_id = actor.id
    invitation.expires_at = now + INVITATION_LIFETIME
    session.flush()
    audit.record(
        session,
        actor.id,
        action,
        "invitation",
        invitation.id,
        {"organisation_id": organisation.id, "role": role.value},
    )
    outbox.record_event(session, MEMBERSHIP_INVITATION_SENT, {"invitation_id": invitation.id})
    return invitation


def _invitation_from_token(session: Session, token: str, secret_key: str) -> Invitation:
    invitation_id = invitation_id_from_token(token, secret_key=secret_key)
    if invitation_id is None:
        raise NotFound("no invitation matches this link")
    invitation = session.get(
        Invitation, invitation_id, with_for_update=True, populate_existing=True
    )
    if invitation is None:
        raise NotFound("no invitation matches this link")
    return invitation


def accept_invitation(
    session: Session, actor_id: int, token: str, *, secret_key: str
) -> Membership:
    """Accept an invitation sent to the actor's own email address; returns the membership."""
    actor = load_actor(session, actor_id)
    invitation = _invitation_from_token(session, token, secret_key)
    if actor.email.lower() != invitation.email:
        raise NotPermitted(f"invitation {invitation.id} was sent to another email address")
    _require_organisation_member_role(actor, "accept an invitation")
    organisation = _organisation(session, invitation.organisation_id, lock=True)
    if not invitation.is_pending(utcnow()):
        raise InvalidState(f"invitation {invitation.id} was accepted, revoked or has expired")
    if organisation.status == VerificationStatus.REJECTED:
        raise InvalidState(f"organisation {organisation.id} was rejected")
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = actor.id
    _let_back(session, actor.id, organisation.id)
    membership = membership_of(session, actor.id, organisation.id)
    if membership is None:
        membership = Membership(
            user_id=actor.id, organisation_id=organisation.id, role=invitation.role
        )
        session.add(membership)
        action = "membership.created"
    elif invitation.role == MembershipRole.ADMIN and membership.role != MembershipRole.ADMIN:
        membership.role = MembershipRole.ADMIN
        action = "membership.role_changed"
    else:
        action = ""
    session.flush()
    audit.record(
        session,
        actor.id,
        "invitation.accepted",
        "invitation",
        invitation.id,
        {"organisation_id": organisation.id},
    )
    if action:
        _audit_membership(session, actor.id, action, membership)
    return membership


def revoke_invitation(session: Session, actor_id: int, invitation_id: int) -> Invitation:
    """Revoke a pending invitation (the organisation's administrators only)."""
    actor = load_actor(session, actor_id)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or membership_of(session, actor.id, invitation.organisation_id) is None:
        raise NotFound(f"invitation {invitation_id} does not exist")
    _organisation(session, invitation.organisation_id, lock=True)
    require_org_admin(session, actor, invitation.organisation_id)
    session.refresh(invitation, with_for_update=True)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise InvalidState(f"invitation {invitation.id} was already accepted or revoked")
    invitation.revoked_at = utcnow()
    audit.record(
        session,
        actor.id,
        "invitation.revoked",
        "invitation",
        invitation.id,
        {"organisation_id": invitation.organisation_id},
    )
    return invitation


def _membership_for_change(session: Session, actor: User, membership_id: int) -> Membership:
    """The membership, its organisation locked; NotFound for people outside that organisation."""
    membership = session.get(Membership, membership_id)
    if membership is None or membership_of(session, actor.id, membership.organisation_id) is None:
        raise NotFound(f"membership {membership_id} does not exist")
    _organisation(session, membership.organisation_id, lock=True)
    session.refresh(membership)
    return membership


def _admin_count(session: Session, organisation_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.organisation_id == organisation_id,
                Membership.role == MembershipRole.ADMIN,
            )
        )
        or 0
    )


def remove_member(session: Session, actor_id: int, membership_id: int) -> None:
    """Remove a member (an administrator), or leave (the member); never the last administrator."""
    actor = load_actor(session, actor_id)
    membership = _membership_for_change(session, actor, membership_id)
    if membership.user_id != actor.id:
        require_org_admin(session, actor, membership.organisation_id)
    if (
        membership.role == MembershipRole.ADMIN
        and _admin_count(session, membership.organisation_id) <= 1
    ):
        raise InvalidState(
            f"membership {membership.id} is organisation {membership.organisation_id}'s last "
            "administrator: make someone else an administrator first"
        )
    _audit_membership(session, actor.id, "membership.removed", membership)
    if membership.user_id != actor.id and not was_removed(
        session, membership.user_id, membership.organisation_id
    ):
        session.add(
            MembershipRemoval(
                organisation_id=membership.organisation_id,
                user_id=membership.user_id,
                removed_by_id=actor.id,
            )
        )
    session.delete(membership)
    session.flush()


def change_member_role(
    session: Session, actor_id: int, membership_id: int, role: MembershipRole
) -> Membership:
    """Make a member an administrator or an ordinary member; never demote the last admin."""
    actor = load_actor(session, actor_id)
    membership = _membership_for_change(session, actor, membership_id)
    require_org_admin(session, actor, membership.organisation_id)
    role = MembershipRole(role)
    if membership.role == role:
        return membership
    if (
        membership.role == MembershipRole.ADMIN
        and _admin_count(session, membership.organisation_id) <= 1
    ):
        raise InvalidState(
            f"membership {membership.id} is organisation {membership.organisation_id}'s last "
            "administrator: make someone else an administrator first"
        )
    membership.role = role
    session.flush()
    _audit_membership(session, actor.id, "membership.role_changed", membership)
    return membership


def _audit_join_request(
    session: Session, actor_id: int, action: str, join_request: JoinRequest
) -> None:
    # Ids only: the requester's message may hold personal details.
    audit.record(
        session,
        actor_id,
        action,
        "join_request",
        join_request.id,
        {"organisation_id": join_request.organisation_id, "user_id": join_request.user_id},
    )


def request_to_join(
    session: Session, actor_id: int, organisation_id: int | None, message: str = ""
) -> JoinRequest:
    """Ask a verified organisation to let the actor join; returns the pending request.

    Asking again while a request to the same organisation is pending returns that request, so a
    form submitted twice (or two racing submissions) leaves one row.
    """
    actor = load_actor(session, actor_id)
    _require_organisation_member_role(actor, "ask to join an organisation")
    errors: dict[str, str] = {}
    organisation = session.get(Organisation, organisation_id) if organisation_id else None
    if organisation is None:
        errors["organisation_id"] = "Select the organisation you want to join"
    elif organisation.status != VerificationStatus.VERIFIED:
        errors["organisation_id"] = (
            f"{organisation.name} has not been verified yet. You can ask to join once it has been"
        )
    elif organisation.merged_into is not None:
        successor = organisation.merged_into.name
        errors["organisation_id"] = (
            f"{organisation.name} is now part of {successor}. Ask to join {successor} instead"
        )
    elif membership_of(session, actor.id, organisation.id) is not None:
        errors["organisation_id"] = f"You are already a member of {organisation.name}"
    message = plain_line_breaks(message or "").strip()
    if len(message) > MESSAGE_MAX:
        errors["message"] = f"Your message must be {MESSAGE_MAX} characters or fewer"
    elif has_hidden_characters(message, multiline=True):
        errors["message"] = hidden_characters_message("Your message", multiline=True)
    if errors:
        raise ValidationFailed(errors)
    assert organisation is not None
    # ON CONFLICT DO NOTHING against the one-pending-request index: the loser of a race finds
    # the winner's row instead of an IntegrityError that would end the transaction.
    inserted = insert_unless_exists(
        session,
        JoinRequest,
        {
            "organisation_id": organisation.id,
            "user_id": actor.id,
            "message": message,
            "status": JoinRequestStatus.PENDING,
        },
    )
    join_request = session.scalars(
        select(JoinRequest).where(
            JoinRequest.organisation_id == organisation.id,
            JoinRequest.user_id == actor.id,
            JoinRequest.status == JoinRequestStatus.PENDING,
        )
    ).one()
    if inserted:
        _audit_join_request(session, actor.id, "join_request.created", join_request)
        outbox.record_event(session, JOIN_REQUEST_RECEIVED, {"join_request_id": join_request.id})
    return join_request


def _may_decide(session: Session, actor: User, organisation_id: int) -> None:
    """NotPermitted unless the actor decides the organisation's join requests.

    Its administrators decide; a platform administrator decides only while it has none, so
    reference-list organisations nobody runs yet can still take members.
    """
    membership = membership_of(session, actor.id, organisation_id)
    if membership is not None and membership.role == MembershipRole.ADMIN:
        return
    if is_platform_admin(actor) and _admin_count(session, organisation_id) == 0:
        return
    raise NotPermitted(
        f"user {actor.id} may not decide join requests of organisation {organisation_id}"
    )


def _join_request_seen_by(session: Session, actor: User, join_request_id: int) -> JoinRequest:
    """The request, if the actor may know of it: a platform admin or a member of its
    organisation; NotFound for anyone else."""
    join_request = session.get(JoinRequest, join_request_id)
    if join_request is None or (
        not is_platform_admin(actor)
        and membership_of(session, actor.id, join_request.organisation_id) is None
    ):
        raise NotFound(f"join request {join_request_id} does not exist")
    return join_request


def _join_request_to_decide(session: Session, actor: User, join_request_id: int) -> JoinRequest:
    """The pending request, its organisation locked, if the actor may decide it."""
    join_request = _join_request_seen_by(session, actor, join_request_id)
    _organisation(session, join_request.organisation_id, lock=True)
    session.refresh(join_request, with_for_update=True)
    _may_decide(session, actor, join_request.organisation_id)
    if join_request.status != JoinRequestStatus.PENDING:
        raise InvalidState(f"join request {join_request.id} is {join_request.status.value}")
    return join_request


def _decide(
    session: Session, actor: User, join_request: JoinRequest, status: JoinRequestStatus
) -> None:
    join_request.status = status
    join_request.decided_at = utcnow()
    join_request.decided_by_id = actor.id
    session.flush()
    _audit_join_request(session, actor.id, f"join_request.{status.value}", join_request)


def approve_join_request(session: Session, actor_id: int, join_request_id: int) -> Membership:
    """Let the requester join; they are emailed. Returns their membership.

    The first person let into an organisation nobody runs yet (a platform administrator
    decides those) becomes its administrator: someone has to invite and decide from then on.
    Everyone else joins as an ordinary member.
    """
    actor = load_actor(session, actor_id)
    join_request = _join_request_to_decide(session, actor, join_request_id)
    _decide(session, actor, join_request, JoinRequestStatus.APPROVED)
    _let_back(session, join_request.user_id, join_request.organisation_id)
    membership = membership_of(session, join_request.user_id, join_request.organisation_id)
    if membership is None:
        # The requester may have joined meanwhile by invitation; then there is nothing to add.
        first = _admin_count(session, join_request.organisation_id) == 0
        membership = Membership(
            user_id=join_request.user_id,
            organisation_id=join_request.organisation_id,
            role=MembershipRole.ADMIN if first else MembershipRole.MEMBER,
        )
        session.add(membership)
        session.flush()
        _audit_membership(session, actor.id, "membership.created", membership)
    outbox.record_event(session, JOIN_REQUEST_DECIDED, {"join_request_id": join_request.id})
    return membership


def decline_join_request(session: Session, actor_id: int, join_request_id: int) -> JoinRequest:
    """Turn a join request down; the requester is emailed."""
    actor = load_actor(session, actor_id)
    join_request = _join_request_to_decide(session, actor, join_request_id)
    _decide(session, actor, join_request, JoinRequestStatus.DECLINED)
    outbox.record_event(session, JOIN_REQUEST_DECIDED, {"join_request_id": join_request.id})
    return join_request


def withdraw_join_request(session: Session, actor_id: int, join_request_id: int) -> JoinRequest:
    """Withdraw the actor's own pending request; nobody else may."""
    actor = load_actor(session, actor_id)
    join_request = session.get(
        JoinRequest, join_request_id, with_for_update=True, populate_existing=True
    )
    if join_request is None or join_request.user_id != actor.id:
        raise NotFound(f"join request {join_request_id} does not exist")
    if join_request.status != JoinRequestStatus.PENDING:
        raise InvalidState(f"join request {join_request.id} is {join_request.status.value}")
    _decide(session, actor, join_request, JoinRequestStatus.WITHDRAWN)
    return join_request


def merger_notice(organisation: Organisation) -> str | None:
    """What members of a council abolished in a reorganisation are told, or None."""
    successor = organisation.merged_into
    if successor is None:
        return None
    return (
        f"{organisation.name} is now part of {successor.name}. Its placements stay here, but "
        f"to post new ones, ask to join {successor.name}."
    )


def choose_organisation(session: Session, actor_id: int, organisation_id: int) -> Membership:
    """The actor's membership of the organisation they want to act for; NotPermitted if none."""
    actor = load_actor(session, actor_id)
    _organisation(session, organisation_id)
    return require_member(session, actor, organisation_id)


# Read queries for pages and API handlers.


def list_members(session: Session, actor_id: int, organisation_id: int) -> list[Membership]:
    """The organisation's memberships, for its members and platform administrators."""
    actor = load_actor(session, actor_id)
    _organisation(session, organisation_id)
    if not is_platform_admin(actor) and membership_of(session, actor.id, organisation_id) is None:
        raise NotPermitted(f"user {actor.id} is not a member of organisation {organisation_id}")
    return list(
        session.scalars(
            select(Membership)
            .where(Membership.organisation_id == organisation_id)
            .order_by(Membership.id)
        )
    )


def list_pending_invitations(
    session: Session, actor_id: int, organisation_id: int
) -> list[Invitation]:
    """Invitations not yet accepted, revoked or expired, for the organisation's admins."""
    actor = load_actor(session, actor_id)
    _organisation(session, organisation_id)
    require_org_admin(session, actor, organisation_id)
    return list(
        session.scalars(
            select(Invitation)
            .where(
                Invitation.organisation_id == organisation_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.id)
        )
    )


def organisations_of(session: Session, actor_id: int) -> list[Membership]:
    """The actor's own memberships, with their organisations."""
    actor = load_actor(session, actor_id)
    return list(
        session.scalars(
            select(Membership).where(Membership.user_id == actor.id).order_by(Membership.id)
        )
    )


def joinable_organisations(session: Session, actor_id: int) -> list[Organisation]:
    """Verified organisations the actor may join by email domain and has neither joined nor
    asked to join yet."""
    actor = load_actor(session, actor_id)
    host = actor.email.rpartition("@")[2].lower()
    # Candidate domains: the host itself and each parent domain (a.b.gov.uk -> b.gov.uk ...).
    labels = host.split(".")
    domains = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    joined = select(Membership.organisation_id).where(Membership.user_id == actor.id)
    removed_from = select(MembershipRemoval.organisation_id).where(
        MembershipRemoval.user_id == actor.id
    )
    asked = select(JoinRequest.organisation_id).where(
        JoinRequest.user_id == actor.id, JoinRequest.status == JoinRequestStatus.PENDING
    )
    return list(
        session.scalars(
            select(Organisation)
            .where(
                Organisation.status == VerificationStatus.VERIFIED,
                Organisation.email_domain.in_(domains),
                Organisation.merged_into_id.is_(None),
                Organisation.id.not_in(joined),
                Organisation.id.not_in(removed_from),
                Organisation.id.not_in(asked),
            )
            .order_by(Organisation.name)
        )
    )


def own_join_request(session: Session, actor_id: int, join_request_id: int) -> JoinRequest:
    """One of the actor's own join requests, in any state; NotFound for anyone else's."""
    actor = load_actor(session, actor_id)
    join_request = session.get(JoinRequest, join_request_id)
    if join_request is None or join_request.user_id != actor.id:
        raise NotFound(f"join request {join_request_id} does not exist")
    return join_request


def own_pending_join_requests(session: Session, actor_id: int) -> list[JoinRequest]:
    """The actor's join requests still waiting for a decision, oldest first."""
    actor = load_actor(session, actor_id)
    return list(
        session.scalars(
            select(JoinRequest)
            .where(JoinRequest.user_id == actor.id, JoinRequest.status == JoinRequestStatus.PENDING)
            .order_by(JoinRequest.id)
        )
    )


def join_request_for_deciders(
    session: Session, actor_id: int, join_request_id: int
) -> tuple[JoinRequest, User]:
    """A join request in any state and its requester, for those who decide it."""
    actor = load_actor(session, actor_id)
    join_request = _join_request_seen_by(session, actor, join_request_id)
    _may_decide(session, actor, join_request.organisation_id)
    requester = session.get(User, join_request.user_id)
    assert requester is not None
    return join_request, requester


def _pending_with_requesters(query: Select[tuple[JoinRequest]]) -> Select[tuple[JoinRequest, User]]:
    return (
        query.add_columns(User)
        .join(User, User.id == JoinRequest.user_id)
        .where(JoinRequest.status == JoinRequestStatus.PENDING)
        .order_by(JoinRequest.created_at, JoinRequest.id)
    )


def pending_join_requests(
    session: Session, actor_id: int, organisation_id: int
) -> list[tuple[JoinRequest, User]]:
    """The organisation's pending requests with their requesters, for those who decide them."""
    actor = load_actor(session, actor_id)
    _organisation(session, organisation_id)
    _may_decide(session, actor, organisation_id)
    query = select(JoinRequest).where(JoinRequest.organisation_id == organisation_id)
    return list(session.execute(_pending_with_requesters(query)).tuples())


def join_requests_for_platform(session: Session, actor_id: int) -> list[tuple[JoinRequest, User]]:
    """Pending requests to organisations without an administrator, which platform admins decide."""
    actor = load_actor(session, actor_id)
    require_platform_admin(actor, "see requests to join organisations")
    administered = select(Membership.organisation_id).where(Membership.role == MembershipRole.ADMIN)
    query = select(JoinRequest).where(JoinRequest.organisation_id.not_in(administered))
    return list(session.execute(_pending_with_requesters(query)).tuples())
