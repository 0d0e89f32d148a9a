"""Use cases about practice notes: drafting, editing, publishing, withdrawing, and reading them.

A practice note is a short account of something an organisation has made work: the problem,
what changed, the evidence of its impact with links, its themes and region, someone to contact,
and the organisation's placements where a civil servant could work on it.

Lifecycle (``STATUS_CHANGES``): a draft is published once its organisation is verified and
every question is answered; a published note is withdrawn by its organisation, or unpublished
by a platform administrator with a reason. Withdrawn and unpublished notes are final. Drafts
and published notes may be edited, against the version the editor saw. A draft needs only a
title, so one can be started from a placement's reflection; publishing asks for the rest.

Authorisation follows placements (``matcher.services.access``): any member of the note's
organisation creates, edits and moves it; another organisation's draft is NotFound, its
published note NotPermitted. Every change is audited with the names of the fields it changed;
the text itself stays out of the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import ColumnElement, Select, delete, func, insert, or_, select
from sqlalchemy.orm import Session, selectinload

from matcher import audit
from matcher.models import (
    Membership,
    Organisation,
    OrganisationKind,
    Placement,
    PlacementStatus,
    PracticeNote,
    PracticeNoteStatus,
    Region,
    Role,
    Theme,
    User,
    VerificationStatus,
    utcnow,
)
from matcher.models.practice_notes import (
    practice_note_placements,
    practice_note_themes,
    theme_follows,
)
from matcher.reasons import practice_in_words
from matcher.services.access import (
    load_actor,
    load_note,
    load_note_for_member,
    membership_of,
    require_member,
    require_platform_admin,
)
from matcher.services.concurrency import check_version, flush_versioned
from matcher.services.errors import InvalidState, NotFound, NotPermitted
from matcher.services.messages import message
from matcher.services.placements import Page, page_size, require_live_organisation
from matcher.services.taxonomies import checked_terms
from matcher.services.text import checked_reason, checked_text
from matcher.services.validation import ValidationFailed

TITLE_MAX = 150
TEXT_MAX = 5_000
LINKS_MAX = 3
URL_MAX = 500
LABEL_MAX = 120
NAME_MAX = 120
THEMES_MAX = 5
PLACEMENTS_MAX = 20
FOLLOWS_MAX = 30
REASON_MAX = 2_000
PAGE_SIZE_DEFAULT = 20

S = PracticeNoteStatus
# Every allowed status change: action -> (statuses it may start from, status it leads to).
STATUS_CHANGES: dict[str, tuple[frozenset[PracticeNoteStatus], PracticeNoteStatus]] = {
    "publish": (frozenset({S.DRAFT}), S.PUBLISHED),
    "withdraw": (frozenset({S.PUBLISHED}), S.WITHDRAWN),
    "unpublish": (frozenset({S.PUBLISHED}), S.UNPUBLISHED),
}
EDITABLE = frozenset({S.DRAFT, S.PUBLISHED})


@dataclass(frozen=True)
class NoteData:
    """What a member types about a practice note.

    ``evidence_links`` are (url, label) pairs; the contact is ``contact_user_id`` (a member of
    the organisation) or a ``contact_name`` and ``contact_email``.
    """

    title: str = ""
    problem: str = ""
    what_changed: str = ""
    evidence: str = ""
    evidence_links: Sequence[tuple[str, str]] = ()
    theme_ids: Sequence[int] = ()
    region_code: str = ""
    contact_user_id: int | None = None
    contact_name: str = ""
    contact_email: str = ""
    placement_ids: Sequence[int] = ()


@dataclass
class _Valid:
    """NoteData checked and resolved to the values the row stores."""

    title: str
    problem: str
    what_changed: str
    evidence: str
    evidence_links: list[dict[str, str]]
    region_code: str | None
    contact_user_id: int | None
    contact_name: str | None
    contact_email: str | None
    themes: list[Theme] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)


def note_data(note: PracticeNote) -> NoteData:
    """The stored note as input data: the base for a partial update (``replace``)."""
    return NoteData(
        title=note.title,
        problem=note.problem,
        what_changed=note.what_changed,
        evidence=note.evidence,
        evidence_links=tuple((link["url"], link["label"]) for link in note.evidence_links),
        theme_ids=tuple(sorted(theme.id for theme in note.themes)),
        region_code=note.region_code or "",
        contact_user_id=note.contact_user_id,
        contact_name=note.contact_name or "",
        contact_email=note.contact_email or "",
        placement_ids=tuple(sorted(placement.id for placement in note.placements)),
    )


def is_web_address(url: str) -> bool:
    """Whether ``url`` is an absolute http or https address with a host and no spaces."""
    if any(char.isspace() for char in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _links(errors: dict[str, str], links: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """The evidence links, each a web address with a label; errors on ``link_N_url`` and
    ``link_N_label`` (N from 1), as the form names them."""
    kept: list[dict[str, str]] = []
    given = [(url.strip(), label) for url, label in links if url.strip() or label.strip()]
    if len(given) > LINKS_MAX:
        errors["link_1_url"] = message("note.links.too_many", most=LINKS_MAX)
        return []
    for number, (url, label) in enumerate(given, start=1):
        url_field, label_field = f"link_{number}_url", f"link_{number}_label"
        if not url:
            errors[url_field] = message("note.link.url_missing")
        elif len(url) > URL_MAX:
            errors[url_field] = message("text.too_long", label="A web address", most=URL_MAX)
        elif not is_web_address(url):
            errors[url_field] = message("note.link.url_malformed")
        label = checked_text(
            errors,
            label_field,
            label,
            label="A link's words",
            limit=LABEL_MAX,
            missing=message("note.link.label_missing"),
        )
        kept.append({"url": url, "label": label})
    return kept


def _contact(
    session: Session, errors: dict[str, str], organisation_id: int, data: NoteData, required: bool
) -> tuple[int | None, str | None, str | None]:
    """The contact as (member id, name, email): a member of the organisation, or a name and an
    address typed in."""
    if data.contact_user_id is not None:
        if membership_of(session, data.contact_user_id, organisation_id) is None:
            errors["contact_user_id"] = message("note.contact.not_member")
        return data.contact_user_id, None, None
    name_given = bool((data.contact_name or "").strip())
    email_given = bool((data.contact_email or "").strip())
    if not (name_given or email_given):
        if required:
            errors["contact_user_id"] = message("note.contact.missing")
        return None, None, None
    name = checked_text(
        errors,
        "contact_name",
        data.contact_name,
        label="Contact's name",
        limit=NAME_MAX,
        missing=message("note.contact_name.missing"),
    )
    email = (data.contact_email or "").strip()
    if not email:
        errors["contact_email"] = message("note.contact_email.missing")
    else:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            errors["contact_email"] = message("note.contact_email.malformed")
    return None, name or None, email or None


def _validate(session: Session, organisation_id: int, data: NoteData, *, complete: bool) -> _Valid:
    """Check every field; ``complete`` (publishing, or editing a published note) also requires
    every question answered. Raise ValidationFailed with a message per failing field."""
    errors: dict[str, str] = {}

    def text(name: str, value: str, label: str, limit: int) -> str:
        missing = message(f"note.{name}.missing")
        checked = checked_text(
            errors, name, value, label=label, limit=limit, missing=missing, multiline=True
        )
        if not checked and not complete and errors.get(name) == missing:
            del errors[name]
        return checked

    title = checked_text(
        errors,
        "title",
        data.title,
        label="Title",
        limit=TITLE_MAX,
        missing=message("note.title.missing"),
    )
    problem = text("problem", data.problem, "The problem", TEXT_MAX)
    what_changed = text("what_changed", data.what_changed, "What changed", TEXT_MAX)
    evidence = text("evidence", data.evidence, "Evidence of impact", TEXT_MAX)
    links = _links(errors, data.evidence_links)
    themes = checked_terms(
        session, errors, "theme_ids", data.theme_ids, Theme, "themes", THEMES_MAX
    )
    if complete and not data.theme_ids and "theme_ids" not in errors:
        errors["theme_ids"] = message("note.themes.missing")
    region_code = (data.region_code or "").strip() or None
    known_region = region_code is not None and session.get(Region, region_code) is not None
    if (region_code is not None or complete) and not known_region:
        errors["region_code"] = message("note.region.missing")
    contact = _contact(session, errors, organisation_id, data, complete)
    wanted = set(data.placement_ids)
    placements: list[Placement] = []
    if len(wanted) > PLACEMENTS_MAX:
        errors["placement_ids"] = message("note.placements.too_many", most=PLACEMENTS_MAX)
    elif wanted:
        placements = list(
            session.scalars(
                select(Placement)
                .where(Placement.id.in_(wanted), Placement.organisation_id == organisation_id)
                .order_by(Placement.id)
            )
        )
        if len(placements) != len(wanted):
            errors["placement_ids"] = message("note.placements.not_own")
    if errors:
        raise ValidationFailed(errors)
    return _Valid(
        title=title,
        problem=problem,
        what_changed=what_changed,
        evidence=evidence,
        evidence_links=links,
        region_code=region_code,
        contact_user_id=contact[0],
        contact_name=contact[1],
        contact_email=contact[2],
        themes=themes,
        placements=placements,
    )


def check_note(
    session: Session, organisation_id: int, data: NoteData, *, complete: bool = False
) -> None:
    """Raise ValidationFailed with a message per failing field, as saving ``data`` would."""
    _validate(session, organisation_id, data, complete=complete)


def _apply(session: Session, note: PracticeNote, valid: _Valid) -> list[str]:
    """Write validated values onto the note; return the names of the fields that changed."""
    with session.no_autoflush:
        values = {
            "title": valid.title,
            "problem": valid.problem,
            "what_changed": valid.what_changed,
            "evidence": valid.evidence,
            "evidence_links": valid.evidence_links,
            "region_code": valid.region_code,
            "contact_user_id": valid.contact_user_id,
            "contact_name": valid.contact_name,
            "contact_email": valid.contact_email,
        }
        changed = [name for name, value in values.items() if getattr(note, name) != value]
        for name in changed:
            setattr(note, name, values[name])
        if {theme.id for theme in note.themes} != {theme.id for theme in valid.themes}:
            note.themes = valid.themes
            changed.append("themes")
        if {p.id for p in note.placements} != {p.id for p in valid.placements}:
            note.placements = valid.placements
            changed.append("placements")
        return changed


def _acting_member(session: Session, actor_id: int, organisation_id: int) -> User:
    actor = load_actor(session, actor_id)
    require_member(session, actor, organisation_id)
    return actor


def create_draft(
    session: Session, actor_id: int, organisation_id: int, data: NoteData
) -> PracticeNote:
    """Save a new draft note for the actor's organisation (any member may); only the title
    must be given, the rest before it is published."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    actor = _acting_member(session, actor_id, organisation.id)
    if organisation.status == VerificationStatus.REJECTED:
        raise InvalidState(f"organisation {organisation.id} was rejected")
    valid = _validate(session, organisation.id, data, complete=False)
    note = PracticeNote(
        organisation_id=organisation.id,
        status=PracticeNoteStatus.DRAFT,
        created_by_id=actor.id,
        themes=[],
        placements=[],
        evidence_links=[],
    )
    fields = _apply(session, note, valid)
    session.add(note)
    session.flush()
    audit.record(
        session, actor.id, "practice_note.created", "practice_note", note.id, {"fields": fields}
    )
    return note


def update_note(
    session: Session,
    actor_id: int,
    note_id: int,
    data: NoteData,
    *,
    expected_version: int | None = None,
) -> PracticeNote:
    """Replace a draft or published note's fields; StaleObject if ``expected_version`` is old.

    A published note must stay complete.
    """
    actor = load_actor(session, actor_id)
    note = load_note_for_member(session, actor, note_id, lock=True)
    check_version("practice_note", note.id, expected_version, note.version_id)
    if note.status not in EDITABLE:
        raise InvalidState(f"practice note {note.id} is {note.status.value}: not editable")
    complete = note.status == PracticeNoteStatus.PUBLISHED
    valid = _validate(session, note.organisation_id, data, complete=complete)
    changed = _apply(session, note, valid)
    if not changed:
        return note
    # Relationship-only changes do not UPDATE the row; touching it bumps the version anyway.
    note.updated_at = utcnow()
    flush_versioned(session, note, "practice_note")
    audit.record(
        session, actor.id, "practice_note.updated", "practice_note", note.id, {"fields": changed}
    )
    return note


def _change_status(
    session: Session,
    actor: User,
    note: PracticeNote,
    action: str,
    expected_version: int | None,
    details: dict[str, object] | None = None,
) -> PracticeNote:
    """Move the note as ``action`` allows, stamp it and audit it."""
    check_version("practice_note", note.id, expected_version, note.version_id)
    sources, target = STATUS_CHANGES[action]
    before = note.status
    if before not in sources:
        raise InvalidState(f"practice note {note.id} is {before.value}: cannot {action}")
    now = utcnow()
    note.status = target
    if target == PracticeNoteStatus.PUBLISHED:
        note.published_at = note.published_at or now
    else:
        note.withdrawn_at = now
    flush_versioned(session, note, "practice_note")
    audit.record(
        session,
        actor.id,
        f"practice_note.{action}",
        "practice_note",
        note.id,
        {"status": {"from": before.value, "to": target.value}, **(details or {})},
    )
    return note


def publish(
    session: Session, actor_id: int, note_id: int, *, expected_version: int | None = None
) -> PracticeNote:
    """Put a draft in the public library: its organisation verified, every question answered."""
    actor = load_actor(session, actor_id)
    note = load_note_for_member(session, actor, note_id, lock=True)
    require_live_organisation(note.organisation)
    if note.status in STATUS_CHANGES["publish"][0]:
        _validate(session, note.organisation_id, note_data(note), complete=True)
    return _change_status(session, actor, note, "publish", expected_version)


def withdraw(
    session: Session, actor_id: int, note_id: int, *, expected_version: int | None = None
) -> PracticeNote:
    """Take a published note out of the library for good, as its organisation."""
    actor = load_actor(session, actor_id)
    note = load_note_for_member(session, actor, note_id, lock=True)
    return _change_status(session, actor, note, "withdraw", expected_version)


def unpublish_by_admin(session: Session, actor_id: int, note_id: int, reason: str) -> PracticeNote:
    """Take a published note down as a platform administrator, saying why."""
    actor = load_actor(session, actor_id)
    require_platform_admin(actor, "unpublish a practice note")
    note = load_note(session, actor, note_id, lock=True)
    note.unpublished_reason = checked_reason(
        reason, message("note.unpublish_reason.missing"), REASON_MAX
    )
    # The reason is free text, so the audit log notes only that one was given.
    return _change_status(
        session, actor, note, "unpublish", None, {"fields": ["unpublished_reason"]}
    )


# Read queries: data access for pages, the digest and the match reasons; they change nothing.


@dataclass(frozen=True)
class NoteSearch:
    """Filters for the public library; empty values do not filter."""

    theme: str | None = None
    region_code: str | None = None
    organisation_kind: str | None = None
    text: str | None = None


def _published() -> Select[tuple[PracticeNote]]:
    return (
        select(PracticeNote)
        .join(Organisation, Organisation.id == PracticeNote.organisation_id)
        .where(
            PracticeNote.status == PracticeNoteStatus.PUBLISHED,
            Organisation.status == VerificationStatus.VERIFIED,
        )
    )


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_published(
    session: Session, search: NoteSearch, *, limit: int = PAGE_SIZE_DEFAULT, offset: int = 0
) -> Page[PracticeNote]:
    """Published notes matching ``search``, newest first, one offset page at a time."""
    conditions: list[ColumnElement[bool]] = []
    if search.theme:
        conditions.append(PracticeNote.themes.any(Theme.slug == search.theme))
    if search.region_code:
        conditions.append(PracticeNote.region_code == search.region_code)
    if search.organisation_kind:
        try:
            kind = OrganisationKind(search.organisation_kind)
        except ValueError:
            raise ValidationFailed({"organisation_kind": "Select a value from the list"}) from None
        conditions.append(Organisation.kind == kind)
    for word in (search.text or "").split()[:10]:
        pattern = _like(word)
        conditions.append(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (
                        PracticeNote.title,
                        PracticeNote.problem,
                        PracticeNote.what_changed,
                        PracticeNote.evidence,
                        Organisation.name,
                    )
                )
            )
        )
    query = _published().where(*conditions)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    limit, offset = page_size(limit), max(0, int(offset))
    items = list(
        session.scalars(
            query.options(
                selectinload(PracticeNote.themes), selectinload(PracticeNote.organisation)
            )
            .order_by(PracticeNote.published_at.desc(), PracticeNote.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


def list_organisation_notes(
    session: Session,
    actor_id: int,
    organisation_id: int,
    *,
    limit: int = PAGE_SIZE_DEFAULT,
    offset: int = 0,
) -> Page[PracticeNote]:
    """An organisation's notes in every status, for its members; newest change first."""
    actor = load_actor(session, actor_id)
    require_member(session, actor, organisation_id)
    query = select(PracticeNote).where(PracticeNote.organisation_id == organisation_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    limit, offset = page_size(limit), max(0, int(offset))
    items = list(
        session.scalars(
            query.options(selectinload(PracticeNote.themes))
            .order_by(PracticeNote.updated_at.desc(), PracticeNote.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


def get_note(session: Session, viewer_id: int | None, note_id: int) -> PracticeNote:
    """One note as ``viewer_id`` (None when signed out) may see it; NotFound otherwise."""
    viewer = load_actor(session, viewer_id) if viewer_id is not None else None
    return load_note(session, viewer, note_id)


@dataclass(frozen=True)
class NoteCitation:
    """A published note as a match reason or a placement's link cites it."""

    note_id: int
    title: str
    organisation_name: str

    @property
    def words(self) -> str:
        """The note as a match card, a digest and the API say it: "Work alongside ..."."""
        return practice_in_words(self.organisation_name, self.title)


def published_notes_for_placements(
    session: Session, placement_ids: Iterable[int]
) -> dict[int, list[NoteCitation]]:
    """For each placement, the published notes linked to it, newest first (one query)."""
    wanted = set(placement_ids)
    if not wanted:
        return {}
    rows = session.execute(
        _published()
        .with_only_columns(
            practice_note_placements.c.placement_id,
            PracticeNote.id,
            PracticeNote.title,
            Organisation.name,
        )
        .join(practice_note_placements, practice_note_placements.c.note_id == PracticeNote.id)
        .where(practice_note_placements.c.placement_id.in_(wanted))
        .order_by(PracticeNote.published_at.desc(), PracticeNote.id.desc())
    ).tuples()
    cited: dict[int, list[NoteCitation]] = {}
    for placement_id, note_id, title, organisation_name in rows:
        cited.setdefault(placement_id, []).append(NoteCitation(note_id, title, organisation_name))
    return cited


def open_placements_of_notes(session: Session, note_ids: Iterable[int]) -> dict[int, list[int]]:
    """For each note, the ids of its linked placements that are open now (one query): where
    someone could work alongside the practice, as the note's page lists them."""
    wanted = set(note_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(practice_note_placements.c.note_id, Placement.id)
        .join(Placement, Placement.id == practice_note_placements.c.placement_id)
        .where(
            practice_note_placements.c.note_id.in_(wanted),
            Placement.status == PlacementStatus.OPEN,
        )
        .order_by(Placement.id)
    ).tuples()
    found: dict[int, list[int]] = {}
    for note_id, placement_id in rows:
        found.setdefault(note_id, []).append(placement_id)
    return found


def published_notes_since(
    session: Session, since: datetime | None, theme_ids: Sequence[int], *, limit: int | None = 10
) -> list[PracticeNote]:
    """Notes published after ``since`` (any time if None) on any of ``theme_ids``, newest
    first, their themes and organisation loaded: what a person following those themes has not
    heard of yet (at most ``limit``; None for all)."""
    if not theme_ids:
        return []
    on_themes = select(practice_note_themes.c.note_id).where(
        practice_note_themes.c.theme_id.in_(set(theme_ids))
    )
    query = _published().where(PracticeNote.id.in_(on_themes))
    if since is not None:
        query = query.where(PracticeNote.published_at > since)
    return list(
        session.scalars(
            query.options(
                selectinload(PracticeNote.organisation), selectinload(PracticeNote.themes)
            )
            .order_by(PracticeNote.published_at.desc(), PracticeNote.id.desc())
            .limit(limit)
        )
    )


def organisation_members(session: Session, organisation_id: int) -> list[User]:
    """The organisation's members, by name: whom a note may name as its contact."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation_id)
            .order_by(User.display_name, User.id)
        )
    )


# Themes a civil servant follows: new published notes on them reach their digest.


def followed_theme_ids(session: Session, user_id: int) -> list[int]:
    """The ids of the themes the person follows."""
    return list(
        session.scalars(
            select(theme_follows.c.theme_id)
            .where(theme_follows.c.user_id == user_id)
            .order_by(theme_follows.c.theme_id)
        )
    )


def follow_themes(session: Session, actor_id: int, theme_ids: Sequence[int]) -> list[int]:
    """Replace the themes the actor follows (a civil servant); audited with what was added and
    dropped. Returns the ids now followed."""
    actor = load_actor(session, actor_id)
    if actor.role != Role.CIVIL_SERVANT:
        raise NotPermitted(f"user {actor.id} is not a civil servant: only they follow themes")
    errors: dict[str, str] = {}
    themes = checked_terms(session, errors, "theme_ids", theme_ids, Theme, "themes", FOLLOWS_MAX)
    if errors:
        raise ValidationFailed(errors)
    before = set(followed_theme_ids(session, actor.id))
    after = {theme.id for theme in themes}
    if before == after:
        return sorted(after)
    if before - after:
        session.execute(
            delete(theme_follows).where(
                theme_follows.c.user_id == actor.id, theme_follows.c.theme_id.in_(before - after)
            )
        )
    if after - before:
        session.execute(
            insert(theme_follows),
            [{"user_id": actor.id, "theme_id": theme_id} for theme_id in sorted(after - before)],
        )
    audit.record(
        session,
        actor.id,
        "themes.followed",
        "user",
        actor.id,
        {"added": sorted(after - before), "dropped": sorted(before - after)},
    )
    return sorted(after)
