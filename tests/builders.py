"""Builders for test data: the smallest valid rows, with overridable fields."""

from __future__ import annotations

from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from matcher.models import (
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Role,
    User,
)

_sequence = count(1)


def user(session: Session, *, role: Role = Role.CIVIL_SERVANT, **fields: Any) -> User:
    """A user with a unique address; flushed so it has an id."""
    number = next(_sequence)
    values: dict[str, Any] = {
        "email": f"person{number}@example.gov.uk",
        "password_hash": "not-a-real-hash",
        "role": role,
        "display_name": f"Person {number}",
    }
    values.update(fields)
    created = User(**values)
    session.add(created)
    session.flush()
    return created


def organisation(session: Session, **fields: Any) -> Organisation:
    """A proposed police force with a unique name; flushed so it has an id."""
    values: dict[str, Any] = {
        "name": f"Test Constabulary {next(_sequence)}",
        "kind": OrganisationKind.POLICE_FORCE,
    }
    values.update(fields)
    created = Organisation(**values)
    session.add(created)
    session.flush()
    return created


def membership(
    session: Session, member: User, of: Organisation, role: MembershipRole = MembershipRole.MEMBER
) -> Membership:
    """``member`` acting for ``of`` in ``role``."""
    created = Membership(user_id=member.id, organisation_id=of.id, role=role)
    session.add(created)
    session.flush()
    return created
