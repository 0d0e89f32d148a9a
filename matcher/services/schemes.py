"""Use cases about allocation schemes: creating one and appointing the people who run it.

Platform administrators create schemes, run every one and appoint managers to any. A scheme's
managers are civil servants; a manager may appoint others from the scheme's own department.
A cross-government scheme (no department) is run by platform administrators and whoever they
appoint. The caller commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher import audit
from matcher.models import (
    CivilServantProfile,
    Department,
    Role,
    Scheme,
    SchemeManager,
    User,
)
from matcher.services.access import (
    is_platform_admin,
    load_actor,
    require_platform_admin,
    require_scheme_manager,
)
from matcher.services.accounts import normalise_email
from matcher.services.errors import NotFound
from matcher.services.messages import message
from matcher.services.text import checked_text
from matcher.services.upsert import insert_unless_exists
from matcher.services.validation import ValidationFailed

SCHEME_NAME_MAX = 150


def create_scheme(
    session: Session, actor_id: int, *, name: str, department_id: int | None
) -> Scheme:
    """A new scheme run for ``department_id``, or across government when it is None."""
    actor = load_actor(session, actor_id)
    require_platform_admin(actor, "create a scheme")
    errors: dict[str, str] = {}
    name = checked_text(
        errors,
        "name",
        name,
        label="Name",
        limit=SCHEME_NAME_MAX,
        missing=message("scheme.name.missing"),
    )
    if department_id is not None and session.get(Department, department_id) is None:
        errors["department_id"] = message("scheme.department.unknown")
    if "name" not in errors and session.scalar(select(Scheme.id).where(Scheme.name == name)):
        errors["name"] = message("scheme.name.taken")
    if errors:
        raise ValidationFailed(errors)
    scheme = Scheme(name=name, department_id=department_id, created_by_id=actor.id)
    session.add(scheme)
    session.flush()
    audit.record(
        session,
        actor.id,
        "scheme.created",
        "scheme",
        scheme.id,
        {"department_id": department_id},
    )
    return scheme


def load_scheme(session: Session, actor: User, scheme_id: int) -> Scheme:
    """A scheme the actor runs: NotFound if there is none, NotPermitted if they do not run it."""
    scheme = session.get(Scheme, scheme_id)
    if scheme is None:
        raise NotFound(f"scheme {scheme_id} does not exist")
    require_scheme_manager(session, actor, scheme.id)
    return scheme


def appoint_manager(session: Session, actor_id: int, scheme_id: int, email: str) -> SchemeManager:
    """Appoint the civil servant with ``email`` to run the scheme.

    Platform administrators appoint anyone; a manager appoints people of the scheme's own
    department. Appointing someone who already runs it is refused, so a form says so.
    """
    actor = load_actor(session, actor_id)
    scheme = load_scheme(session, actor, scheme_id)
    appointee = session.scalars(
        select(User).where(User.email == normalise_email(email or ""))
    ).one_or_none()
    if appointee is None or appointee.role != Role.CIVIL_SERVANT:
        raise ValidationFailed({"email": message("scheme.manager.unknown")})
    if not is_platform_admin(actor):
        department = session.scalar(
            select(CivilServantProfile.department_id).where(
                CivilServantProfile.user_id == appointee.id
            )
        )
        if scheme.department_id is None or department != scheme.department_id:
            raise ValidationFailed({"email": message("scheme.manager.other_department")})
    inserted = insert_unless_exists(
        session,
        SchemeManager,
        {"scheme_id": scheme.id, "user_id": appointee.id, "appointed_by_id": actor.id},
    )
    if not inserted:
        raise ValidationFailed({"email": message("scheme.manager.already")})
    manager = session.scalars(
        select(SchemeManager).where(
            SchemeManager.scheme_id == scheme.id, SchemeManager.user_id == appointee.id
        )
    ).one()
    audit.record(
        session,
        actor.id,
        "scheme.manager_appointed",
        "scheme",
        scheme.id,
        {"user_id": appointee.id},
    )
    return manager


def managers_of(session: Session, actor_id: int, scheme_id: int) -> list[User]:
    """The scheme's appointed managers, by name, for those who run it."""
    actor = load_actor(session, actor_id)
    scheme = load_scheme(session, actor, scheme_id)
    return list(
        session.scalars(
            select(User)
            .join(SchemeManager, SchemeManager.user_id == User.id)
            .where(SchemeManager.scheme_id == scheme.id)
            .order_by(User.display_name, User.id)
        )
    )
