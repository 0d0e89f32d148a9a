"""Import placements and people from an HR system's file: CSV or JSON Lines, all or nothing.

Every line goes through the same services as the web form and the API: placements are created,
updated and published by ``matcher.services.placements`` (audited, with their outbox event),
people are created by ``matcher.services.accounts`` and their profiles saved by
``matcher.services.profiles``. So an import accepts exactly what the forms accept, in the same
words; this module only reads each field (accepting the forms HR systems write: department
abbreviations, grade names, current and 2021 ONS codes, "Full time") and says which line and
field is wrong, by the file's own field names.

A line with an ``external_id`` is matched to the record imported with it before (per
organisation for placements, across the service for people): an unchanged line changes nothing
and a changed line updates the record in place, against the version it was read at. Importing
the same file twice is therefore harmless.

The caller owns the transaction: it commits when ``Report.refused`` is empty and rolls back
otherwise, or always for a dry run. Each line runs in a savepoint, so a refused line leaves
nothing behind for the lines after it.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from matcher.clock import london_today
from matcher.models import (
    Department,
    DigestFrequency,
    Grade,
    Hours,
    Organisation,
    Placement,
    PlacementKind,
    PlacementStatus,
    Profession,
    Region,
    Skill,
    Theme,
    User,
    VerificationStatus,
)
from matcher.reference.catalogue import current_council_codes
from matcher.reference.postcodes import lookup
from matcher.services import accounts, placements, profiles
from matcher.services.concurrency import StaleObject
from matcher.services.errors import ServiceError
from matcher.services.messages import message
from matcher.services.validation import ValidationFailed

ROWS_MAX = 1_000

PLACEMENT_FIELDS: tuple[str, ...] = (
    "external_id",
    "title",
    "summary",
    "description",
    "kind",
    "themes",
    "skills",
    "grade_min",
    "grade_max",
    "remote",
    "postcode",
    "start_date",
    "duration_weeks",
    "hours",
    "capacity",
    "closing_date",
)
# A line imported at the command line says what it is, whose it is and whether to publish it.
OPERATOR_PLACEMENT_FIELDS = ("type", "organisation", "status", *PLACEMENT_FIELDS)
PERSON_FIELDS = (
    "type",
    "external_id",
    "email",
    "name",
    "department",
    "grade",
    "profession",
    "themes",
    "skills",
    "postcode",
    "region",
    "travel_limit_km",
    "remote_ok",
    "available_from",
    "available_until",
    "wanted_kinds",
    "hours",
    "about",
    "discoverable",
    "digest_frequency",
)
# A CSV file must have these columns; the others may be left out.
CSV_REQUIRED = frozenset(PLACEMENT_FIELDS) - {
    "external_id",
    "skills",
    "remote",
    "postcode",
    "capacity",
}
# The services name some fields differently from the file.
_PLACEMENT_FIELD_OF = {
    "theme_ids": "themes",
    "skill_ids": "skills",
    "location_postcode": "postcode",
    "remote_possible": "remote",
}
_PERSON_FIELD_OF = {
    "department_id": "department",
    "grade_rank": "grade",
    "profession_id": "profession",
    "theme_ids": "themes",
    "skill_ids": "skills",
    "region_code": "region",
    "display_name": "name",
}
# Names other systems, and this service's own API, give fields that spelling alone would not
# lead to.
_MEANT = {
    "available_to": "available_until",
    "display_name": "name",
    "location_postcode": "postcode",
    "remote_possible": "remote",
    "skill_ids": "skills",
    "theme_ids": "themes",
}
_PUBLISHABLE = ("draft", "open")
_YES = frozenset({"yes", "y", "true"})
_NO = frozenset({"no", "n", "false"})


class Action(StrEnum):
    """What importing a line did, or would do."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass(frozen=True)
class Line:
    """One record of the file with its number there; ``problem`` if it could not be read."""

    number: int
    fields: dict[str, Any]
    problem: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one line."""

    line: int
    action: Action
    kind: str = ""
    record_id: int | None = None
    version: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class Report:
    """Every line's outcome, in file order."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def refused(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.action == Action.REFUSED]

    def counts(self) -> Counter[Action]:
        """How many lines each action took."""
        return Counter(outcome.action for outcome in self.outcomes)

    def errors(self, prefix: str) -> dict[str, str]:
        """Every refusal as ``prefix.N.field`` (``prefix.N`` for the line as a whole)."""
        return {
            f"{prefix}.{outcome.line}" + (f".{name}" if name else ""): text
            for outcome in self.refused
            for name, text in outcome.errors.items()
        }


@dataclass(frozen=True)
class Importer:
    """Who imports: a member for one organisation (placements only, saved as drafts), or an
    operator at the command line (``organisation_id`` None), who imports people and placements
    for any organisation and may publish them."""

    actor_id: int | None
    organisation_id: int | None
    government_domains: tuple[str, ...] = ()

    @property
    def operator(self) -> bool:
        return self.organisation_id is None


# Reading files


def read_csv(text: str) -> list[Line]:
    """A CSV file's rows as lines numbered as in the file (the header is row 1).

    ValidationFailed (on ``header`` or ``body``) when the file as a whole cannot be read.
    """
    # Strict: a stray quote is an error to report, not two rows silently run together.
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    number = 1
    lines: list[Line] = []
    try:
        columns = _header(next(rows, None))
        for number, cells in enumerate(rows, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                problem = f"The row has {len(cells)} cells but the header has {len(columns)}"
                lines.append(Line(number, {}, problem))
            else:
                lines.append(Line(number, dict(zip(columns, cells, strict=False))))
            if len(lines) > ROWS_MAX:
                raise ValidationFailed({"body": f"Send at most {ROWS_MAX:,} rows in a file"})
    except csv.Error as error:
        raise ValidationFailed({"body": f"Row {number + 1} is not valid CSV: {error}"}) from None
    if not lines:
        raise ValidationFailed({"body": "The file has a header but no placements"})
    return lines


def _header(header: list[str] | None) -> list[str]:
    columns = [name.strip().lower() for name in header or []]
    if not any(columns):
        raise ValidationFailed(
            {"body": "The file is empty: send a header row, then one row per placement"}
        )
    if "" in columns:
        raise ValidationFailed({"header": f"Column {columns.index('') + 1} has no name"})
    unknown = [_unknown_field(name[:40], PLACEMENT_FIELDS) for name in columns]
    if any(unknown):
        raise ValidationFailed({"header": "; ".join(text for text in unknown if text)})
    repeated = sorted(name for name, times in Counter(columns).items() if times > 1)
    if repeated:
        raise ValidationFailed({"header": f"Columns appear twice: {', '.join(repeated)}"})
    missing = [name for name in PLACEMENT_FIELDS if name in CSV_REQUIRED and name not in columns]
    if missing:
        raise ValidationFailed({"header": f"Columns missing: {', '.join(missing)}"})
    return columns


def read_json_lines(lines: Iterable[str]) -> Iterator[Line]:
    """Each non-blank line of a JSON Lines file, numbered as in the file."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            yield Line(number, {}, message("import.line.not_json", reason=error.msg))
            continue
        if not isinstance(record, dict):
            yield Line(number, {}, message("import.line.not_json", reason="it is not an object"))
            continue
        yield Line(number, record)


def _unknown_field(name: str, known: Iterable[str]) -> str | None:
    """Why ``name`` is refused, suggesting the field it was probably meant to be; or None."""
    known = tuple(known)
    if name in known:
        return None
    close = [_MEANT[name]] if _MEANT.get(name) in known else []
    close = close or difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    if close:
        return message("import.field.misspelt", name=name, suggestion=close[0])
    return message("import.field.unknown", name=name, fields=", ".join(known))


# Importing


def import_lines(
    session: Session,
    importer: Importer,
    lines: Iterable[Line],
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Import each line through the services; the caller commits or rolls back."""
    report = Report()
    known = _Known(session)
    seen = _Seen()
    for line in lines:
        if line.problem is not None:
            report.outcomes.append(Outcome(line.number, Action.REFUSED, errors={"": line.problem}))
        else:
            report.outcomes.append(_import_line(session, importer, known, seen, line))
        if progress is not None:
            progress(1)
    return report


def _import_line(
    session: Session, importer: Importer, known: _Known, seen: _Seen, line: Line
) -> Outcome:
    kind = "placement" if not importer.operator else line.fields.get("type")
    fields = PLACEMENT_FIELDS if not importer.operator else OPERATOR_PLACEMENT_FIELDS
    if kind == "person":
        fields = PERSON_FIELDS
    elif kind != "placement":
        return Outcome(line.number, Action.REFUSED, errors={"type": message("import.type.unknown")})
    # Fields that are not ours, and a line repeating another, are refused with whatever else
    # is wrong with the line, so one pass over the file finds every mistake.
    errors = {
        name: text
        for name in line.fields
        if (text := _unknown_field(str(name)[:40], fields)) is not None
    }
    errors.update(seen.check(line, kind))
    read = _Reader(line.fields, known)
    try:
        with session.begin_nested():
            if kind == "person":
                action, record_id, version = _person(session, importer, read)
            else:
                action, record_id, version = _placement(session, importer, read)
            if errors:
                raise ValidationFailed({})
    except ValidationFailed as failed:
        names = _PERSON_FIELD_OF if kind == "person" else _PLACEMENT_FIELD_OF
        refused = {names.get(name, name): text for name, text in failed.errors.items()}
        # An answer that could not be read reached the service as missing: say what was wrong.
        refused = {**refused, **read.errors, **errors}
        return Outcome(line.number, Action.REFUSED, kind, errors=refused)
    except StaleObject:
        return Outcome(
            line.number, Action.REFUSED, kind, errors={"external_id": message("import.stale")}
        )
    except ServiceError as error:
        return Outcome(line.number, Action.REFUSED, kind, errors={"": str(error)})
    return Outcome(line.number, action, kind, record_id, version)


class _Seen:
    """The emails and external ids already met in this file, with the line of each."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, str, str], int] = {}

    def check(self, line: Line, kind: str) -> dict[str, str]:
        errors = {}
        for name in ("email", "external_id"):
            value = line.fields.get(name)
            if not isinstance(value, str) or not value.strip():
                continue
            scope = str(line.fields.get("organisation", "")) if kind == "placement" else ""
            key = (f"{kind}.{name}", scope, value.strip().lower())
            if key in self.lines:
                errors[name] = message("import.line.duplicate", field=name, line=self.lines[key])
            else:
                self.lines[key] = line.number
        return errors


def _placement(session: Session, importer: Importer, read: _Reader) -> tuple[Action, int, int]:
    organisation_id = importer.organisation_id or read.organisation("organisation")
    status = read.choice("status", _PUBLISHABLE, "open") if importer.operator else "draft"
    data = placements.PlacementData(
        title=read.text("title"),
        summary=read.text("summary"),
        description=read.text("description"),
        kind=read.enum("kind", PlacementKind),
        theme_ids=read.terms("themes", Theme, "theme"),
        skill_ids=read.terms("skills", Skill, "skill"),
        grade_min=read.grade("grade_min"),
        grade_max=read.grade("grade_max"),
        remote_possible=read.flag("remote", False),
        location_postcode=read.text("postcode"),
        start_date=read.date("start_date"),
        duration_weeks=read.whole("duration_weeks"),
        hours=read.enum("hours", Hours),
        capacity=read.whole("capacity", 1),
        closing_date=read.date("closing_date"),
    )
    external_id = read.text("external_id") or None
    existing = None
    if external_id is not None and organisation_id:
        existing = session.scalar(
            select(Placement).where(
                Placement.organisation_id == organisation_id,
                Placement.external_id == external_id,
            )
        )
    if existing is None:
        placements.check_placement(session, data)
    else:
        placements.check_placement(session, data, stored_closing_date=existing.closing_date)
    if read.errors or not organisation_id:
        raise ValidationFailed(read.errors)
    organisation = session.get(Organisation, organisation_id)
    assert organisation is not None
    if status == "open" and organisation.status != VerificationStatus.VERIFIED:
        raise ValidationFailed({"status": message("import.organisation.unverified")})

    if existing is None:
        placement = placements.create_draft(
            session, importer.actor_id, organisation_id, data, external_id=external_id
        )
        action = Action.CREATED
    elif _same_placement(existing, data):
        placement, action = existing, Action.UNCHANGED
    elif existing.status not in placements.EDITABLE:
        raise ValidationFailed(
            {"external_id": message("import.placement.final", status=existing.status.value)}
        )
    else:
        version = existing.version_id
        placement = placements.update_placement(
            session, importer.actor_id, existing.id, data, expected_version=version
        )
        # Text that differs only in its line endings or spacing saves as it was.
        action = Action.UPDATED if placement.version_id != version else Action.UNCHANGED
    if status == "open" and placement.status == PlacementStatus.DRAFT:
        placement = placements.publish(session, importer.actor_id, placement.id)
        action = Action.UPDATED if action == Action.UNCHANGED else action
    return action, placement.id, placement.version_id


def _same_placement(placement: Placement, data: placements.PlacementData) -> bool:
    """Whether saving ``data`` would leave the placement as it is."""
    postcode = lookup(data.location_postcode).postcode if data.location_postcode else ""
    given = replace(
        data,
        theme_ids=tuple(sorted(set(data.theme_ids))),
        skill_ids=tuple(sorted(set(data.skill_ids))),
        location_postcode=postcode,
    )
    return placements.placement_data(placement) == given


def _person(session: Session, importer: Importer, read: _Reader) -> tuple[Action, int, int]:
    email = read.text("email")
    name = read.text("name")
    external_id = read.text("external_id") or None
    available_from = read.date("available_from")
    if available_from is None:
        read.errors.setdefault("available_from", message("profile.available_from.missing"))
    answers = profiles.ProfileAnswers(
        department_id=read.reference("department", "department") or 0,
        grade_rank=read.grade_rank("grade") or 0,
        profession_id=read.reference("profession", "profession") or 0,
        theme_ids=read.terms("themes", Theme, "theme"),
        skill_ids=read.terms("skills", Skill, "skill"),
        postcode=read.text("postcode") or None,
        region_code=read.region("region"),
        travel_limit_km=read.whole("travel_limit_km", 50) or 0,
        remote_ok=read.flag("remote_ok", True),
        available_from=available_from or date.min,
        available_until=read.date("available_until"),
        wanted_kinds=tuple(
            PlacementKind(kind) for kind in read.enums("wanted_kinds", PlacementKind)
        ),
        hours=Hours(read.enum("hours", Hours, Hours.FLEXIBLE.value) or Hours.FLEXIBLE.value),
        about=read.text("about"),
        discoverable=read.flag("discoverable", False),
        digest_frequency=DigestFrequency(
            read.enum("digest_frequency", DigestFrequency, DigestFrequency.WEEKLY.value)
            or DigestFrequency.WEEKLY.value
        ),
    )
    existing = (
        session.scalar(select(User).where(User.external_id == external_id))
        if external_id is not None
        else None
    )
    errors = dict(read.errors)
    try:
        profiles.check_profile(session, answers)
    except ValidationFailed as failed:
        errors = {**failed.errors, **errors}
    if existing is not None and accounts.normalise_email(email) != existing.email:
        errors["email"] = message("person.email.changed")
    if existing is None:
        try:
            user = accounts.import_person(
                session,
                email=email,
                display_name=name,
                external_id=external_id,
                government_domains=importer.government_domains,
            )
        except ValidationFailed as failed:
            raise ValidationFailed({**failed.errors, **errors}) from None
        if errors:
            raise ValidationFailed(errors)
        profile = profiles.save_profile(session, user_id=user.id, answers=answers)
        return Action.CREATED, user.id, profile.version_id
    if errors:
        raise ValidationFailed(errors)
    renamed = accounts.rename_imported_person(session, existing, name)
    current = existing.profile
    if current is not None and _same_profile(current, answers):
        return (Action.UPDATED if renamed else Action.UNCHANGED), existing.id, current.version_id
    profile = profiles.save_profile(
        session,
        user_id=existing.id,
        answers=answers,
        expected_version=current.version_id if current is not None else 0,
    )
    return Action.UPDATED, existing.id, profile.version_id


def _same_profile(profile: Any, answers: profiles.ProfileAnswers) -> bool:
    """Whether saving ``answers`` would leave the saved profile as it is."""
    location = lookup(answers.postcode).postcode if answers.postcode else None
    wanted = {
        "department_id": answers.department_id,
        "grade_rank": answers.grade_rank,
        "profession_id": answers.profession_id,
        "theme_ids": sorted(set(answers.theme_ids)),
        "skill_ids": sorted(set(answers.skill_ids)),
        "postcode": location,
        "region_code": None if location else answers.region_code,
        "travel_limit_km": answers.travel_limit_km,
        "remote_ok": answers.remote_ok,
        "available_from": profiles.available_from_on(
            answers.available_from, london_today()
        ).isoformat(),
        "available_until": answers.available_until.isoformat() if answers.available_until else None,
        "wanted_kinds": sorted({kind.value for kind in answers.wanted_kinds}),
        "hours": answers.hours.value,
        "about": answers.about.replace("\r\n", "\n").replace("\r", "\n").strip(),
        "discoverable": answers.discoverable,
        "digest_frequency": answers.digest_frequency.value,
    }
    return profiles.answers_from_profile(profile) == wanted


# Reading fields


class _Known:
    """Reference data by every name an HR system might use for it, read once per import."""

    def __init__(self, session: Session) -> None:
        self.session = session
        grades = session.execute(select(Grade.code, Grade.name, Grade.rank)).tuples().all()
        self.grade_codes = [code for code, _, _ in sorted(grades, key=lambda row: row[2])]
        self.grades: dict[str, tuple[str, int]] = {}
        for code, name, rank in grades:
            self.grades[_key(code)] = self.grades[_key(name)] = (code, rank)
        self.departments = {
            _key(value): id_
            for id_, name, abbreviation in session.execute(
                select(Department.id, Department.name, Department.abbreviation)
            )
            for value in (name, abbreviation)
            if value
        }
        self.professions = {
            _key(name): id_ for id_, name in session.execute(select(Profession.id, Profession.name))
        }
        self.regions = {
            _key(value): code
            for code, name in session.execute(select(Region.code, Region.name))
            for value in (code, name)
        }
        self.terms: dict[tuple[type, str], int | None] = {}
        self.organisations: dict[str, int | None] = {}

    def term(self, model: type[Theme] | type[Skill], name: str) -> int | None:
        key = (model, name.strip().lower())
        if key not in self.terms:
            self.terms[key] = self.session.scalar(
                select(model.id).where(
                    or_(func.lower(model.name) == key[1], func.lower(model.slug) == key[1])
                )
            )
        return self.terms[key]

    def organisation(self, reference: str) -> int | None:
        """By name or ONS code; a 2021 district's code finds the council that serves it now."""
        key = _key(reference)
        if key not in self.organisations:
            code = reference.strip().upper()
            code = current_council_codes().get(code, code)
            self.organisations[key] = self.session.scalar(
                select(Organisation.id).where(
                    or_(func.lower(Organisation.name) == key, Organisation.ons_code == code)
                )
            )
        return self.organisations[key]


def _key(value: str) -> str:
    """A name as compared: case, spacing and punctuation between words do not matter."""
    return " ".join(re.split(r"[\s_-]+", value.strip().lower()))


class _Reader:
    """One line's fields read into the services' input; ``errors`` holds each value that could
    not be read, and a value that could not be read is given to the service as missing."""

    def __init__(self, fields: dict[str, Any], known: _Known) -> None:
        self.fields = fields
        self.known = known
        self.errors: dict[str, str] = {}

    def _raw(self, name: str) -> Any:
        value = self.fields.get(name)
        if isinstance(value, str):
            value = value.strip()
        return None if value in (None, "") else value

    def _refuse(self, name: str, text: str) -> None:
        self.errors.setdefault(name, text)

    def text(self, name: str) -> str:
        value = self._raw(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            self._refuse(name, message("import.text.malformed"))
            return ""
        return value

    def date(self, name: str) -> date | None:
        value = self._raw(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self._refuse(name, message("date.malformed"))
            return None

    def whole(self, name: str, default: int | None = None) -> int | None:
        value = self._raw(name)
        if value is None:
            return default
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self._refuse(name, message("whole_number.malformed"))
            return None
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _YES | _NO:
            return value.lower() in _YES
        self._refuse(name, message("flag.malformed"))
        return default

    def choice(self, name: str, allowed: tuple[str, ...], default: str = "") -> str:
        """One of ``allowed``, however it is capitalised or spaced ("Full time")."""
        value = self._raw(name)
        if value is None:
            return default
        wanted = _key(str(value))
        for option in allowed:
            if _key(option) == wanted:
                return option
        self._refuse(name, message("choice.unknown", allowed=", ".join(allowed)))
        return ""

    def enum(self, name: str, enum: type[StrEnum], default: str = "") -> str:
        return self.choice(name, tuple(member.value for member in enum), default)

    def names(self, name: str) -> list[str]:
        """A JSON list of names, or names separated by ";" in a CSV cell."""
        value = self._raw(name)
        if value is None:
            return []
        if isinstance(value, str):
            value = value.split(";")
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self._refuse(name, message("import.list.malformed"))
            return []
        return list(dict.fromkeys(item.strip() for item in value if item.strip()))

    def enums(self, name: str, enum: type[StrEnum]) -> list[str]:
        allowed = tuple(member.value for member in enum)
        found = []
        for item in self.names(name):
            wanted = _key(item)
            match = next((option for option in allowed if _key(option) == wanted), None)
            if match is None:
                self._refuse(name, message("choice.unknown", allowed=", ".join(allowed)))
            else:
                found.append(match)
        return found

    def terms(self, name: str, model: type[Theme] | type[Skill], what: str) -> tuple[int, ...]:
        found = []
        # Past the most a placement may have, the service says there are too many.
        for item in self.names(name)[: placements.SKILLS_MAX + 1]:
            term_id = self.known.term(model, item)
            if term_id is None:
                self._refuse(name, message("import.reference.unknown", what=what, name=item[:80]))
            else:
                found.append(term_id)
        return tuple(found)

    def grade(self, name: str) -> str:
        """A grade's code, from its code or its name ("Grade 7", "g7", "HEO")."""
        value = self._raw(name)
        if value is None:
            return ""
        grade = self.known.grades.get(_key(str(value)))
        if grade is None:
            self._refuse(name, message("choice.unknown", allowed=", ".join(self.known.grade_codes)))
            return ""
        return grade[0]

    def grade_rank(self, name: str) -> int | None:
        code = self.grade(name)
        return self.known.grades[_key(code)][1] if code else None

    def reference(self, name: str, what: str) -> int | None:
        """A department (by name or abbreviation, like DWP) or a profession, by name."""
        value = self._raw(name)
        if value is None:
            return None
        table = self.known.departments if what == "department" else self.known.professions
        found = table.get(_key(str(value)))
        if found is None:
            self._refuse(name, message("import.reference.unknown", what=what, name=str(value)[:80]))
        return found

    def region(self, name: str) -> str | None:
        value = self._raw(name)
        if value is None:
            return None
        found = self.known.regions.get(_key(str(value)))
        if found is None:
            self._refuse(name, message("profile.region.unknown"))
        return found

    def organisation(self, name: str) -> int | None:
        value = self._raw(name)
        if value is None:
            self._refuse(name, message("import.organisation.missing"))
            return None
        found = self.known.organisation(str(value))
        if found is None:
            self._refuse(name, message("import.organisation.unknown", name=str(value)[:80]))
        return found
