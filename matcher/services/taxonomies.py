"""Use cases for the theme and skill taxonomies platform administrators keep.

Terms are never deleted: profiles, placements and stored match reasons refer to them by id, so
an administrator deactivates a term instead, which hides it from new answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher import audit
from matcher.models import Skill, Theme
from matcher.services.access import load_actor, require_platform_admin
from matcher.services.errors import InvalidState, NotFound
from matcher.services.messages import message
from matcher.services.text import has_hidden_characters, hidden_characters_message
from matcher.services.validation import ValidationFailed

Kind = Literal["theme", "skill"]
MODELS: dict[str, type[Theme] | type[Skill]] = {"theme": Theme, "skill": Skill}
NAME_MAX = {"theme": 120, "skill": 150}

_Term = TypeVar("_Term", Theme, Skill)


def checked_terms(
    session: Session,
    errors: dict[str, str],
    name: str,
    ids: Sequence[int],
    model: type[_Term],
    label: str,
    limit: int,
) -> list[_Term]:
    """The active terms ``ids`` names, by id; records in ``errors[name]`` why they are too many
    or include one that is unknown or no longer offered."""
    wanted = set(ids)
    if len(wanted) > limit:
        errors[name] = message("terms.too_many", most=limit, what=label)
        return []
    found = list(session.scalars(select(model).where(model.id.in_(wanted), model.active)))
    if len(found) != len(wanted):
        errors[name] = message("terms.unknown", what=label)
    return sorted(found, key=lambda row: row.id)


def _model(kind: str) -> type[Theme] | type[Skill]:
    model = MODELS.get(kind)
    if model is None:
        raise NotFound(f"taxonomy {kind} does not exist")
    return model


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "term"


def _checked_name(session: Session, kind: str, name: str, except_id: int | None = None) -> str:
    """The trimmed name, or ValidationFailed when it is empty, too long or already used."""
    model = _model(kind)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed({"name": f"Enter the name of the {kind}"})
    if has_hidden_characters(name):
        raise ValidationFailed({"name": hidden_characters_message("Name")})
    if len(name) > NAME_MAX[kind]:
        raise ValidationFailed({"name": f"Name must be {NAME_MAX[kind]} characters or fewer"})
    clash = select(model.id).where(func.lower(model.name) == name.lower())
    if except_id is not None:
        clash = clash.where(model.id != except_id)
    if session.scalar(clash) is not None:
        raise ValidationFailed({"name": f"There is already a {kind} called {name}"})
    return name


def _unique_slug(session: Session, kind: str, name: str) -> str:
    model = _model(kind)
    base = _slug(name)
    slug, number = base, 1
    while session.scalar(select(model.id).where(model.slug == slug)) is not None:
        number += 1
        slug = f"{base}-{number}"
    return slug


def add_term(session: Session, actor_id: int, kind: Kind, name: str) -> Theme | Skill:
    """Add an active theme or skill (platform administrators only)."""
    actor = load_actor(session, actor_id)
    require_platform_admin(actor, f"add a {kind}")
    model = _model(kind)
    name = _checked_name(session, kind, name)
    term = model(slug=_unique_slug(session, kind, name), name=name, description="", active=True)
    session.add(term)
    session.flush()
    audit.record(session, actor.id, f"{kind}.created", kind, term.id, {"fields": ["name"]})
    return term


def _load(session: Session, kind: str, term_id: int) -> Theme | Skill:
    term = session.get(_model(kind), term_id, with_for_update=True)
    if not isinstance(term, Theme | Skill):
        raise NotFound(f"{kind} {term_id} does not exist")
    return term


def rename_term(
    session: Session, actor_id: int, kind: Kind, term_id: int, name: str
) -> Theme | Skill:
    """Give a theme or skill a new name; its id, and so every use of it, stays."""
    actor = load_actor(session, actor_id)
    require_platform_admin(actor, f"rename a {kind}")
    term = _load(session, kind, term_id)
    name = _checked_name(session, kind, name, except_id=term.id)
    if name == term.name:
        return term
    before = term.name
    term.name = name
    # Taxonomy names are public reference data, not personal data, so the audit keeps both.
    audit.record(
        session, actor.id, f"{kind}.renamed", kind, term.id, {"name": {"from": before, "to": name}}
    )
    return term


def set_active(
    session: Session, actor_id: int, kind: Kind, term_id: int, active: bool
) -> Theme | Skill:
    """Deactivate a term (hidden from new answers) or make it active again."""
    actor = load_actor(session, actor_id)
    require_platform_admin(actor, f"change a {kind}")
    term = _load(session, kind, term_id)
    if term.active == active:
        raise InvalidState(f"{kind} {term.id} is already {'active' if active else 'inactive'}")
    term.active = active
    action = "reactivated" if active else "deactivated"
    audit.record(session, actor.id, f"{kind}.{action}", kind, term.id, {"active": {"to": active}})
    return term
