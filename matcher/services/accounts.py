"""Use cases about accounts: registering, confirming, passwords, email changes and deletion.

Links in emails carry signed, expiring tokens (``matcher.security.tokens``); the worker signs
them when it builds the email, so no token is ever stored. A password-reset token names a digest
of the password hash it may replace, and an email-change token a digest of the address it may
replace, so each link works once.
"""

from __future__ import annotations

import unicodedata
from contextlib import suppress
from functools import cache
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher import audit, outbox
from matcher.events import (
    ACCOUNT_EXISTS_EMAIL_REQUESTED,
    CONFIRMATION_EMAIL_REQUESTED,
    EMAIL_CHANGE_EMAIL_REQUESTED,
    PASSWORD_RESET_EMAIL_REQUESTED,
)
from matcher.models import (
    Membership,
    Organisation,
    Role,
    User,
    VerificationStatus,
    utcnow,
)
from matcher.security import tokens
from matcher.security.password_policy import password_problem
from matcher.security.passwords import hash_password, needs_rehash, verify_password
from matcher.services.errors import NotFound, ServiceError
from matcher.services.messages import message
from matcher.services.text import has_hidden_characters, hidden_characters_message
from matcher.services.validation import ValidationFailed


@cache
def _dummy_hash() -> str:
    """A hash to verify against when no account has the address: sign-in takes as long."""
    return hash_password("not a password anyone has")


GOVERNMENT_EMAIL_MESSAGE = "Enter a government email address, like name@department.gov.uk"
ORGANISATION_EMAIL_MESSAGE = (
    "Enter the email address you use at work. Your organisation must already use this service"
)


class LinkNotValid(ServiceError):
    """A link from an email was tampered with, has been used, or has expired."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("the link has expired" if expired else "the link is not valid")
        self.expired = expired


def normalise_email(email: str) -> str:
    """The address as stored: the email validator's normal form (Unicode NFC, the domain
    decoded from IDNA), trimmed and lower case; so josé@ typed as one character or as e and a
    combining accent is one address."""
    email = email.strip()
    # Sign-in looks up any stored address, such as the demo administrator's .localhost one.
    with suppress(EmailNotValidError):
        email = validate_email(email, check_deliverability=False).normalized
    return unicodedata.normalize("NFC", email.lower())


def domain_of(email: str) -> str:
    """The part of an address after the @."""
    return email.rpartition("@")[2].lower()


def within_domains(domain: str, allowed: tuple[str, ...]) -> bool:
    """Whether ``domain`` is one of ``allowed`` or a subdomain of one."""
    return any(domain == item or domain.endswith("." + item) for item in allowed)


def is_government_email(email: str, government_domains: tuple[str, ...]) -> bool:
    """Whether a normalised address is at a government domain, as every civil servant's is."""
    return "@" in email and within_domains(domain_of(email), government_domains)


# The public sector's shared email parents. An organisation claims a name of its own below one
# (leeds.gov.uk, cumbria.police.uk), never a parent itself: an organisation holding gov.uk
# would take in everyone at every council.
PUBLIC_SECTOR_EMAIL_DOMAINS = (
    "gov.uk",
    "police.uk",
    "nhs.uk",
    "gov.scot",
    "gov.wales",
    "llyw.cymru",
    "parliament.uk",
    "mod.uk",
)
CLAIMABLE_DOMAIN_MESSAGE = (
    "Enter your organisation's own email domain under gov.uk, police.uk, nhs.uk, gov.scot, "
    "gov.wales or llyw.cymru, like leeds.gov.uk, or leave it empty"
)


def is_claimable_domain(domain: str) -> bool:
    """Whether one organisation may own ``domain``: a name below a public-sector parent."""
    return any(domain.endswith("." + parent) for parent in PUBLIC_SECTOR_EMAIL_DOMAINS)


def organisation_for_email(session: Session, email: str) -> Organisation | None:
    """The verified, current organisation whose email domain covers ``email``, most specific
    first (an abolished council's domain leads nowhere)."""
    domain = domain_of(email)
    candidates = session.scalars(
        select(Organisation).where(
            Organisation.status == VerificationStatus.VERIFIED,
            Organisation.email_domain.is_not(None),
            Organisation.merged_into_id.is_(None),
        )
    ).all()
    matching = [
        o
        for o in candidates
        if o.email_domain
        and is_claimable_domain(o.email_domain)
        and within_domains(domain, (o.email_domain,))
    ]
    return max(matching, key=lambda o: len(o.email_domain or ""), default=None)


DISPLAY_NAME_MAX = 120


def checked_display_name(name: str) -> str:
    """The name a person goes by, trimmed; ValidationFailed when it is empty, too long or holds
    a line break or hidden character (it is put in the To: header of every email to them)."""
    name = " ".join((name or "").split(" ")).strip()
    if not name:
        raise ValidationFailed({"display_name": "Enter your full name"})
    if has_hidden_characters(name):
        raise ValidationFailed({"display_name": hidden_characters_message("Your name")})
    if len(name) > DISPLAY_NAME_MAX:
        raise ValidationFailed(
            {"display_name": f"Your name must be {DISPLAY_NAME_MAX} characters or fewer"}
        )
    return name


# An imported person sets a password through "forgotten your password": no password matches this.
NO_PASSWORD = "!imported"


def import_person(
    session: Session,
    *,
    email: str,
    display_name: str,
    external_id: str | None,
    government_domains: tuple[str, ...],
) -> User:
    """Create a civil servant's account from an HR system's import, with no password yet.

    ValidationFailed for an address outside government or already in use, or a bad name.
    """
    email = normalise_email(email)
    errors: dict[str, str] = {}
    if not is_government_email(email, government_domains):
        errors["email"] = GOVERNMENT_EMAIL_MESSAGE
    elif session.scalar(select(User.id).where(User.email == email)) is not None:
        errors["email"] = message("account.email.taken")
    try:
        display_name = checked_display_name(display_name)
    except ValidationFailed as failed:
        errors.update(failed.errors)
    if errors:
        raise ValidationFailed(errors)
    user = User(
        email=email,
        password_hash=NO_PASSWORD,
        role=Role.CIVIL_SERVANT,
        display_name=display_name,
        external_id=external_id,
    )
    session.add(user)
    session.flush()
    audit.record(session, None, "account.imported", "user", user.id, {"role": user.role.value})
    return user


def rename_imported_person(session: Session, user: User, display_name: str) -> bool:
    """Give an imported person the name their HR system now has; whether it changed."""
    display_name = checked_display_name(display_name)
    if user.display_name == display_name:
        return False
    user.display_name = display_name
    session.flush()
    audit.record(session, None, "account.renamed", "user", user.id, {"fields": ["display_name"]})
    return True


def _check_password(password: str, email: str, field: str = "password") -> None:
    problem = password_problem(password, email)
    if problem:
        raise ValidationFailed({field: problem})


def register(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    role: Role,
    government_domains: tuple[str, ...],
) -> User | None:
    """Create an unconfirmed account and ask for its confirmation email.

    Returns None when the address already has an account: its owner is emailed instead, so the
    page shown is the same either way and nobody can test which addresses are registered.
    """
    email = normalise_email(email)
    organisation = None
    if role == Role.CIVIL_SERVANT:
        if not is_government_email(email, government_domains):
            raise ValidationFailed({"email": GOVERNMENT_EMAIL_MESSAGE})
    elif role == Role.ORGANISATION_MEMBER:
        organisation = organisation_for_email(session, email)
        if organisation is None:
            raise ValidationFailed({"email": ORGANISATION_EMAIL_MESSAGE})
    else:
        raise ValidationFailed({"role": "Select where you work"})
    display_name = checked_display_name(display_name)
    _check_password(password, email)
    # Hashed whether or not the address is taken: the answer takes as long either way, so its
    # timing does not tell which addresses have accounts.
    password_hash = hash_password(password)
    existing = session.scalar(select(User).where(User.email == email))
    if existing is not None:
        outbox.record_event(session, ACCOUNT_EXISTS_EMAIL_REQUESTED, {"user_id": existing.id})
        return None
    user = User(
        email=email,
        password_hash=password_hash,
        role=role,
        display_name=display_name,
    )
    session.add(user)
    session.flush()
    # Membership waits for the confirmed address (``confirm_email``) and, where the
    # organisation has administrators, for one of them to approve.
    details: dict[str, Any] = {"role": role.value}
    if organisation is not None:
        details["organisation_id"] = organisation.id
    audit.record(session, user.id, "account.registered", "user", user.id, details)
    outbox.record_event(session, CONFIRMATION_EMAIL_REQUESTED, {"user_id": user.id})
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The account with this address and password, or None; upgrades an outdated hash."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def record_sign_in(session: Session, user: User) -> None:
    """Note that ``user`` signed in."""
    user.last_signed_in_at = utcnow()
    audit.record(session, user.id, "account.signed_in", "user", user.id)


def resend_confirmation(session: Session, user_id: int) -> None:
    """Ask for another confirmation email, unless the address is already confirmed."""
    user = session.get(User, user_id)
    if user is not None and user.email_confirmed_at is None:
        outbox.record_event(session, CONFIRMATION_EMAIL_REQUESTED, {"user_id": user.id})


def confirmation_token(secret_key: str, user: User) -> str:
    """The token of the link that confirms ``user``'s current address."""
    return tokens.make_token(
        secret_key,
        tokens.CONFIRM_EMAIL,
        {"u": user.id, "e": tokens.fingerprint(secret_key, user.email)},
    )


def _user_from_token(
    session: Session, secret_key: str, purpose: str, token: str, max_age: int | None
) -> tuple[User, dict[str, Any]]:
    try:
        payload = tokens.read_token(secret_key, purpose, token, max_age)
    except tokens.InvalidToken as error:
        raise LinkNotValid(expired=error.expired) from None
    user = session.get(User, payload.get("u"))
    if user is None:
        raise LinkNotValid()
    return user, payload


def confirm_email(
    session: Session, *, token: str, secret_key: str, max_age: int | None = None
) -> User:
    """Confirm the address a confirmation link was sent to; harmless to repeat.

    An organisation member's first confirmation starts joining the organisation of their
    email domain (``memberships.join_by_confirmed_address``).
    """
    from matcher.services.memberships import join_by_confirmed_address

    user, payload = _user_from_token(session, secret_key, tokens.CONFIRM_EMAIL, token, max_age)
    if payload.get("e") != tokens.fingerprint(secret_key, user.email):
        raise LinkNotValid()
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record(session, user.id, "account.email_confirmed", "user", user.id)
        join_by_confirmed_address(session, user.id)
    return user


def request_password_reset(session: Session, email: str) -> None:
    """Email a reset link if an account has this address; do nothing visible otherwise."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is not None:
        outbox.record_event(session, PASSWORD_RESET_EMAIL_REQUESTED, {"user_id": user.id})


def password_reset_token(secret_key: str, user: User) -> str:
    """The token of the link that resets ``user``'s password once."""
    return tokens.make_token(
        secret_key,
        tokens.RESET_PASSWORD,
        {"u": user.id, "p": tokens.fingerprint(secret_key, user.password_hash)},
    )


def user_for_reset(
    session: Session, *, token: str, secret_key: str, max_age: int | None = None
) -> User:
    """The account a reset link is for; LinkNotValid if it is bad, used or expired."""
    user, payload = _user_from_token(session, secret_key, tokens.RESET_PASSWORD, token, max_age)
    if payload.get("p") != tokens.fingerprint(secret_key, user.password_hash):
        raise LinkNotValid()
    return user


def reset_password(
    session: Session, *, token: str, secret_key: str, new_password: str, max_age: int | None = None
) -> User:
    """Set a new password through a reset link; it also confirms the address it was sent to."""
    user = user_for_reset(session, token=token, secret_key=secret_key, max_age=max_age)
    _check_password(new_password, user.email)
    user.password_hash = hash_password(new_password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    audit.record(session, user.id, "account.password_reset", "user", user.id)
    return user


def change_password(
    session: Session, *, user_id: int, current_password: str, new_password: str
) -> User:
    """Replace the password of a signed-in user who knows the current one."""
    user = _load(session, user_id)
    if not verify_password(user.password_hash, current_password):
        raise ValidationFailed({"current_password": "Your current password is not right"})
    _check_password(new_password, user.email, "new_password")
    user.password_hash = hash_password(new_password)
    audit.record(session, user.id, "account.password_changed", "user", user.id)
    return user


def request_email_change(
    session: Session,
    *,
    user_id: int,
    password: str,
    new_email: str,
    government_domains: tuple[str, ...],
) -> None:
    """Email a link to the new address; the change happens when that link is followed.

    When another account already has the new address nothing is sent, and the caller shows
    the same page, so the form cannot be used to find out who is registered.
    """
    user = _load(session, user_id)
    new_email = normalise_email(new_email)
    if not verify_password(user.password_hash, password):
        raise ValidationFailed({"password": "Your password is not right"})
    if new_email == user.email:
        raise ValidationFailed({"email": "Enter a different email address from your current one"})
    _check_email_for_role(session, user, new_email, government_domains)
    if session.scalar(select(User.id).where(User.email == new_email)) is not None:
        return
    # The event names the user only: the address waits on the account, so deleting the
    # account deletes it too.
    user.pending_email = new_email
    outbox.record_event(session, EMAIL_CHANGE_EMAIL_REQUESTED, {"user_id": user.id})


def _check_email_for_role(
    session: Session, user: User, email: str, government_domains: tuple[str, ...]
) -> None:
    if user.role == Role.CIVIL_SERVANT and not is_government_email(email, government_domains):
        raise ValidationFailed({"email": GOVERNMENT_EMAIL_MESSAGE})
    if user.role == Role.ORGANISATION_MEMBER:
        organisation = organisation_for_email(session, email)
        member_of = session.scalars(
            select(Membership.organisation_id).where(Membership.user_id == user.id)
        ).all()
        if organisation is None or organisation.id not in member_of:
            raise ValidationFailed(
                {"email": "Enter an email address at the organisation you work for"}
            )


def email_change_token(secret_key: str, user: User, new_email: str) -> str:
    """The token of the link that moves ``user`` to ``new_email`` once."""
    return tokens.make_token(
        secret_key,
        tokens.CHANGE_EMAIL,
        {"u": user.id, "n": new_email, "c": tokens.fingerprint(secret_key, user.email)},
    )


def confirm_email_change(
    session: Session, *, token: str, secret_key: str, max_age: int | None = None
) -> User:
    """Move the account to the new address named in an email-change link."""
    user, payload = _user_from_token(session, secret_key, tokens.CHANGE_EMAIL, token, max_age)
    new_email = payload.get("n")
    if payload.get("c") != tokens.fingerprint(secret_key, user.email) or not new_email:
        raise LinkNotValid()
    if session.scalar(select(User.id).where(User.email == new_email)) is not None:
        raise LinkNotValid()
    user.email = new_email
    user.pending_email = None
    user.email_confirmed_at = utcnow()
    audit.record(session, user.id, "account.email_changed", "user", user.id, {"fields": ["email"]})
    return user


def delete_account(session: Session, *, user_id: int) -> None:
    """Delete an account with its profile, memberships, interests and matches."""
    user = _load(session, user_id)
    # The entry outlives the account, so it names the id only and no actor that would vanish.
    audit.record(session, None, "account.deleted", "user", user.id, {"role": user.role.value})
    session.delete(user)
    session.flush()


def _load(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user
