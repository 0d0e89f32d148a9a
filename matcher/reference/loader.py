"""Write the reference facts into the database: insert what is missing, update what differs."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from matcher.models import (
    Department,
    Grade,
    LocalAuthority,
    Organisation,
    Profession,
    Region,
    Skill,
    Theme,
)
from matcher.models.base import Base, utcnow
from matcher.reference import catalogue

Row = Mapping[str, Any]


@dataclass(frozen=True)
class ReferenceTable:
    """One table of reference rows: how to find a row again and which columns to keep in step."""

    model: type[Base]
    rows: Callable[[], list[dict[str, Any]]]
    key: Callable[[Row], Hashable]
    fields: tuple[str, ...]
    on_insert: Callable[[], dict[str, Any]] = dict


def _by(column: str) -> Callable[[Row], Hashable]:
    return lambda row: row[column]


def _verified() -> dict[str, Any]:
    return {"status": "verified", "verified_at": utcnow()}


def _organisation_key(row: Row) -> Hashable:
    # Councils keep their ONS code when renamed; other bodies are known by name.
    return ("ons", row["ons_code"]) if row["ons_code"] else ("name", row["name"])


TABLES: tuple[ReferenceTable, ...] = (
    ReferenceTable(Region, catalogue.regions, _by("code"), ("code", "name")),
    ReferenceTable(
        LocalAuthority,
        lambda: [dict(row) for row in catalogue.districts()],
        _by("code"),
        ("code", "name", "upper_tier_code", "upper_tier_name", "region_code", "postcode_density"),
    ),
    ReferenceTable(
        Department, catalogue.departments, _by("name"), ("name", "abbreviation", "ministerial")
    ),
    ReferenceTable(Grade, catalogue.grades, _by("code"), ("code", "name", "rank")),
    ReferenceTable(Profession, catalogue.professions, _by("name"), ("name",)),
    ReferenceTable(Theme, catalogue.themes, _by("slug"), ("slug", "name", "description")),
    ReferenceTable(Skill, catalogue.skills, _by("slug"), ("slug", "name", "description")),
    ReferenceTable(
        Organisation,
        catalogue.organisations,
        _organisation_key,
        ("name", "kind", "ons_code", "region_code", "email_domain"),
        on_insert=_verified,
    ),
)


def load_reference_data(session: Session) -> dict[str, int]:
    """Bring every reference table up to date; return rows inserted or updated per table."""
    counts = {}
    for table in TABLES:
        renumbered = _follow_new_council_codes(session) if table.model is Organisation else 0
        counts[table.model.__tablename__] = renumbered + _sync(session, table)
    counts["organisations"] += _retire_abolished_councils(session)
    return counts


def _councils_by_code(session: Session, codes: Iterable[str]) -> dict[str, Organisation]:
    return {
        o.ons_code or "": o
        for o in session.scalars(select(Organisation).where(Organisation.ons_code.in_(codes)))
    }


def _follow_new_council_codes(session: Session) -> int:
    """Give a renamed district's council its new code, so the same row (and everything that
    refers to it) carries on."""
    abolished = catalogue.abolished_councils()
    renamed = {
        old: new for old, new in catalogue.current_council_codes().items() if old not in abolished
    }
    found = _councils_by_code(session, [*renamed, *renamed.values()])
    changed = 0
    for old, new in renamed.items():
        if old in found and new not in found:
            found[old].ons_code = new
            changed += 1
    session.flush()
    return changed


def _retire_abolished_councils(session: Session) -> int:
    """Point each abolished council at its successor: it keeps its placements and members but
    leaves every list people choose an organisation from."""
    abolished = catalogue.abolished_councils()
    found = _councils_by_code(session, [*abolished, *abolished.values()])
    changed = 0
    for old, new in abolished.items():
        council, successor = found.get(old), found.get(new)
        if council is not None and successor is not None and council.merged_into_id != successor.id:
            council.merged_into_id = successor.id
            changed += 1
    session.flush()
    return changed


def _sync(session: Session, table: ReferenceTable) -> int:
    """Insert missing rows and update differing ones of one table; the caller commits."""
    existing = {
        table.key(_columns(obj, table.fields)): obj for obj in session.scalars(select(table.model))
    }
    missing: list[dict[str, Any]] = []
    updated = 0
    for row in table.rows():
        obj = existing.get(table.key(row))
        if obj is None:
            missing.append({**row, **table.on_insert()})
            continue
        changes = {
            field: row[field]
            for field in table.fields
            # An administrator's own email domain stands unless the facts name one.
            if row[field] != getattr(obj, field)
            and not (field == "email_domain" and not row[field])
        }
        for field, value in changes.items():
            setattr(obj, field, value)
        updated += bool(changes)
    if missing:
        session.execute(insert(table.model), missing)
    session.flush()
    return len(missing) + updated


def _columns(obj: Base, fields: Iterable[str]) -> dict[str, Any]:
    return {field: getattr(obj, field) for field in fields}


def reference_data_loaded(session: Session) -> bool:
    """Whether the reference tables have been loaded at least once."""
    return session.scalar(select(LocalAuthority.code).limit(1)) is not None
