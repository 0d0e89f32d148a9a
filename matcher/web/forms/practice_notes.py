"""Forms for writing a practice note, searching the library and following themes.

The note form reads each answer's shape; the practice notes service decides what is valid and
its words are shown beside each field.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField

from matcher.models import (
    OrganisationKind,
    Placement,
    PlacementStatus,
    PracticeNoteStatus,
    Region,
    Theme,
)
from matcher.services import practice_notes as service
from matcher.services.practice_notes import LINKS_MAX, THEMES_MAX, NoteData
from matcher.web.forms import (
    BaseForm,
    GovCharacterCount,
    GovCheckboxes,
    GovSelect,
    GovTextInput,
    SubmitOnceForm,
    chosen_ids,
    options,
    submitted_id,
)
from matcher.web.forms.actions import UnpublishForm
from matcher.web.forms.organisations import KIND_NAMES as ORGANISATION_KIND_NAMES

STATUS_NAMES = {
    PracticeNoteStatus.DRAFT: "Draft",
    PracticeNoteStatus.PUBLISHED: "Published",
    PracticeNoteStatus.WITHDRAWN: "Withdrawn",
    PracticeNoteStatus.UNPUBLISHED: "Unpublished",
}
SOMEONE_ELSE = "else"


def _strip(value: str | None) -> str:
    return value.strip() if value else ""


class NoteForm(SubmitOnceForm):
    """Every answer about a practice note, on one page. The service checks them."""

    title = StringField(
        "Title",
        description="Name the practice, for example Mobile library hubs",
        filters=[_strip],
        widget=GovTextInput(),
    )
    problem = TextAreaField(
        "What problem did it set out to solve?",
        description="Who was affected and why the old way was not working",
        widget=GovCharacterCount(),
    )
    what_changed = TextAreaField(
        "What changed?",
        description="What your organisation does differently now, and who it works with",
        widget=GovCharacterCount(),
    )
    evidence = TextAreaField(
        "What is the evidence of its impact?",
        description="Figures, evaluations or feedback: say where they come from",
        widget=GovCharacterCount(),
    )
    theme_ids = SelectMultipleField(
        "Policy themes",
        description=f"Select up to {THEMES_MAX}. People who follow these themes hear of the note",
        validate_choice=False,
        widget=GovCheckboxes(),
    )
    region_code = SelectField(
        "Region",
        description="Where the practice runs",
        validate_choice=False,
        widget=GovSelect(),
    )
    contact_user_id = SelectField(
        "Who should people contact about it?",
        description="A member of your organisation, or someone else whose details you give below",
        validate_choice=False,
        widget=GovSelect(),
    )
    contact_name = StringField(
        "Contact's name (if someone else)",
        filters=[_strip],
        widget=GovTextInput(),
    )
    contact_email = StringField(
        "Contact's email address (if someone else)",
        filters=[_strip],
        widget=GovTextInput(),
    )
    placement_ids = SelectMultipleField(
        "Placements where someone could work on it (optional)",
        description="Civil servants matched with these placements will see this note as a reason",
        validate_choice=False,
        widget=GovCheckboxes(),
    )
    expected_version = HiddenField()
    link_count = LINKS_MAX

    def prepare(self, session: Session, organisation_id: int) -> None:
        """Fill the choices that come from the database, and one pair of fields per link."""
        themes = session.scalars(select(Theme).where(Theme.active).order_by(Theme.name)).all()
        self.theme_ids.choices = options((t.id, t.name) for t in themes)
        regions = session.execute(select(Region.code, Region.name).order_by(Region.name)).all()
        self.region_code.choices = options([("", "Select a region"), *regions])
        members = service.organisation_members(session, organisation_id)
        self.contact_user_id.choices = options(
            [
                ("", "Select a person"),
                *((str(m.id), f"{m.display_name} ({m.email})") for m in members),
                (SOMEONE_ELSE, "Someone else"),
            ]
        )
        placements = session.execute(
            select(Placement.id, Placement.title)
            .where(
                Placement.organisation_id == organisation_id,
                Placement.status != PlacementStatus.WITHDRAWN,
            )
            .order_by(Placement.title)
        ).all()
        self.placement_ids.choices = options((p.id, p.title) for p in placements)

    def note_data(self) -> NoteData:
        """The answers as the service's input."""
        contact = self.contact_user_id.data or ""
        someone_else = contact in ("", SOMEONE_ELSE)
        links = [
            (self.link_url(number), self.link_label(number)) for number in range(1, LINKS_MAX + 1)
        ]
        return NoteData(
            title=self.title.data or "",
            problem=self.problem.data or "",
            what_changed=self.what_changed.data or "",
            evidence=self.evidence.data or "",
            evidence_links=tuple(links),
            theme_ids=chosen_ids(self.theme_ids.data),
            region_code=self.region_code.data or "",
            contact_user_id=None if someone_else else submitted_id(contact),
            contact_name=(self.contact_name.data or "") if someone_else else "",
            contact_email=(self.contact_email.data or "") if someone_else else "",
            placement_ids=chosen_ids(self.placement_ids.data),
        )

    def link_url(self, number: int) -> str:
        return str(self[f"link_{number}_url"].data or "").strip()

    def link_label(self, number: int) -> str:
        return str(self[f"link_{number}_label"].data or "").strip()


# One web address and its words per evidence link, named as the service reports their errors.
for _number in range(1, LINKS_MAX + 1):
    setattr(
        NoteForm,
        f"link_{_number}_url",
        StringField(
            f"Link {_number}: web address",
            description="For example, https://www.example.gov.uk/evaluation"
            if _number == 1
            else "",
            filters=[_strip],
            widget=GovTextInput(),
        ),
    )
    setattr(
        NoteForm,
        f"link_{_number}_label",
        StringField(
            f"Link {_number}: words to show",
            description="For example, Independent evaluation, 2025" if _number == 1 else "",
            filters=[_strip],
            widget=GovTextInput(),
        ),
    )


def form_values(data: NoteData) -> dict[str, Any]:
    """Service input as the note form's starting data."""
    values: dict[str, Any] = {
        "title": data.title,
        "problem": data.problem,
        "what_changed": data.what_changed,
        "evidence": data.evidence,
        "theme_ids": [str(i) for i in data.theme_ids],
        "region_code": data.region_code,
        "contact_user_id": (
            str(data.contact_user_id)
            if data.contact_user_id is not None
            else (SOMEONE_ELSE if data.contact_name or data.contact_email else "")
        ),
        "contact_name": data.contact_name,
        "contact_email": data.contact_email,
        "placement_ids": [str(i) for i in data.placement_ids],
    }
    for number, (url, label) in enumerate(data.evidence_links, start=1):
        values[f"link_{number}_url"] = url
        values[f"link_{number}_label"] = label
    return values


class LibrarySearchForm(BaseForm):
    """Search and filter the public library of practice notes (a GET form)."""

    class Meta:
        csrf = False

    text = StringField(
        "Search",
        description="Words from the title, the problem, what changed or the organisation",
        filters=[_strip],
        widget=GovTextInput(),
    )
    theme = SelectField("Policy theme", validate_choice=False, widget=GovSelect())
    region = SelectField("Region", validate_choice=False, widget=GovSelect())
    organisation_kind = SelectField(
        "Kind of organisation",
        choices=options(
            [
                ("", "Any kind"),
                *((kind.value, ORGANISATION_KIND_NAMES[kind]) for kind in OrganisationKind),
            ]
        ),
        validate_choice=False,
        widget=GovSelect(),
    )


class FollowThemesForm(SubmitOnceForm):
    """The themes a civil servant follows for new practice notes."""

    theme_ids = SelectMultipleField(
        "Which themes do you want to hear about?",
        description="Select all that apply. Leave them all unselected to hear of none",
        validate_choice=False,
        widget=GovCheckboxes(),
    )

    def prepare(self, session: Session) -> None:
        themes = session.scalars(select(Theme).where(Theme.active).order_by(Theme.name)).all()
        self.theme_ids.choices = options((t.id, t.name) for t in themes)

    def chosen(self) -> tuple[int, ...]:
        """The chosen theme ids; one that names no theme the service refuses as unknown."""
        return chosen_ids(self.theme_ids.data)


class UnpublishNoteForm(UnpublishForm):
    """Why an administrator is taking a practice note down."""

    reason = TextAreaField(
        "Why are you unpublishing this note?",
        description="The organisation will see this. Do not include personal information",
        widget=GovCharacterCount(),
    )
