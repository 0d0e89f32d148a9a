"""Read-only queries for the administration pages; they never change anything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.models import (
    AuditEntry,
    Organisation,
    Placement,
    PlacementStatus,
    Skill,
    Theme,
    User,
    VerificationStatus,
)
from matcher.services.accounts import normalise_email
from matcher.services.taxonomies import MODELS

T = TypeVar("T")


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of rows and how many rows there are in all."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class AuditFilters:
    """Filters for the audit log; empty values do not filter."""

    action: str | None = None
    object_type: str | None = None
    actor_email: str | None = None


def _paged(session: Session, query: Any, page: int, per_page: int, scalars: bool = True) -> Paged:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    limited = query.limit(per_page).offset((page - 1) * per_page)
    rows = list(session.scalars(limited)) if scalars else list(session.execute(limited).all())
    return Paged(items=rows, total=total, page=page, per_page=per_page)


def proposed_organisations(session: Session) -> list[Organisation]:
    """Organisations waiting for a platform administrator to verify or reject them, oldest first."""
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.status == VerificationStatus.PROPOSED)
            .order_by(Organisation.created_at, Organisation.id)
        )
    )


def live_placements(session: Session, *, page: int, per_page: int) -> Paged[Placement]:
    """Open and closed placements, which an administrator may unpublish; newest first."""
    query = (
        select(Placement)
        .where(Placement.status.in_([PlacementStatus.OPEN, PlacementStatus.CLOSED]))
        .order_by(Placement.published_at.desc(), Placement.id.desc())
    )
    return _paged(session, query, page, per_page)


def taxonomy_terms(
    session: Session, kind: str, *, page: int, per_page: int
) -> Paged[Theme | Skill]:
    """Every term of the theme or skill taxonomy, active or not, by name."""
    model = MODELS[kind]
    return _paged(session, select(model).order_by(model.name), page, per_page)


def audit_log(
    session: Session, filters: AuditFilters, *, page: int, per_page: int
) -> Paged[tuple[AuditEntry, str | None]]:
    """Audit entries, newest first, with the actor's display name, filtered."""
    query = (
        select(AuditEntry, User.display_name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .order_by(AuditEntry.id.desc())
    )
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.object_type:
        query = query.where(AuditEntry.object_type == filters.object_type)
    if filters.actor_email:
        query = query.where(User.email == normalise_email(filters.actor_email))
    return _paged(session, query, page, per_page, scalars=False)


def audit_choices(session: Session) -> tuple[list[str], list[str]]:
    """The distinct actions and object types in the audit log, for the filter selects."""
    actions = list(session.scalars(select(AuditEntry.action).distinct().order_by("action")))
    types = list(session.scalars(select(AuditEntry.object_type).distinct().order_by("object_type")))
    return actions, types
