"""Forms for posting and editing a placement, searching placements and confirming changes.

The placement form reads each answer's shape; the placement service decides what is valid,
on the page as on save, so the words are the same as the API's and the imports'.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)

from matcher.models import Grade, Hours, PlacementStatus, Skill, Theme
from matcher.reference.postcodes import lookup
from matcher.services.messages import message
from matcher.services.placements import SKILLS_MAX, THEMES_MAX, PlacementData, check_placement
from matcher.services.validation import ValidationFailed
from matcher.web.forms import (
    BaseForm,
    GovCharacterCount,
    GovCheckboxes,
    GovRadios,
    GovSelect,
    GovTextInput,
    GovukDateField,
    SubmitOnceForm,
    add_errors,
    chosen_ids,
    options,
    skill_groups,
)
from matcher.web.wording import PLACEMENT_KIND_NAMES

KIND_NAMES = PLACEMENT_KIND_NAMES
HOURS_NAMES = {
    Hours.FULL_TIME: "Full time",
    Hours.PART_TIME: "Part time",
    Hours.FLEXIBLE: "Flexible",
}
STATUS_NAMES = {
    PlacementStatus.DRAFT: "Draft",
    PlacementStatus.OPEN: "Open",
    PlacementStatus.CLOSED: "Closed",
    PlacementStatus.FILLED: "Filled",
    PlacementStatus.WITHDRAWN: "Withdrawn",
}


def _strip(value: str | None) -> str:
    return value.strip() if value else ""


class PlacementForm(SubmitOnceForm):
    """Every answer about a placement, on one page in five sections.

    The form only reads the answers (a whole number, a real date); the placement service
    decides what is valid, and ``validate`` shows its words beside each field.
    """

    title = StringField(
        "Title",
        description="For example, Rural transport secondment",
        filters=[_strip],
        widget=GovTextInput(),
    )
    summary = StringField(
        "Summary",
        description="One or two sentences shown in search results",
        filters=[_strip],
        widget=GovCharacterCount(),
    )
    description = StringField(
        "Description",
        description="What the person will do, who they will work with and what they will learn",
        filters=[_strip],
        widget=GovCharacterCount(),
    )
    kind = RadioField(
        "What kind of placement is it?",
        choices=options((kind.value, name) for kind, name in KIND_NAMES.items()),
        validate_choice=False,
        widget=GovRadios(),
    )
    theme_ids = SelectMultipleField(
        "Policy themes",
        description=f"Select up to {THEMES_MAX}",
        validate_choice=False,
        widget=GovCheckboxes(),
    )
    skill_ids = SelectMultipleField(
        "Skills (optional)",
        description=f"Select up to {SKILLS_MAX}",
        validate_choice=False,
        widget=GovCheckboxes(),
    )
    grade_min = SelectField("Lowest grade", validate_choice=False, widget=GovSelect())
    grade_max = SelectField("Highest grade", validate_choice=False, widget=GovSelect())
    location_postcode = StringField(
        "Postcode of the workplace",
        description="Leave this empty if the placement is remote only",
        filters=[_strip],
        widget=GovTextInput(),
    )
    remote_possible = BooleanField("The placement can be done remotely")
    closing_date = GovukDateField(
        "Closing date",
        description="The last day people can say they are interested. For example, 31 1 2027",
        subject="The closing date",
    )
    start_date = GovukDateField(
        "Start date",
        description="Must be after the closing date. For example, 1 4 2027",
        subject="The start date",
    )
    duration_weeks = IntegerField(
        "How many weeks does it last?",
        description="For example, 26",
        widget=GovTextInput(),
    )
    hours = RadioField(
        "Hours",
        choices=options((hours.value, name) for hours, name in HOURS_NAMES.items()),
        validate_choice=False,
        widget=GovRadios(),
    )
    capacity = IntegerField("How many people can it take?", widget=GovTextInput())
    expected_version = HiddenField()
    # The closing date saved before an edit: leaving a passed one alone is allowed.
    stored_closing_date: date | None = None

    def process(self, *args: Any, **kwargs: Any) -> None:
        super().process(*args, **kwargs)
        # An empty number is missing, which the service says; IntegerField's own parse
        # messages are not in the GOV.UK style.
        for field in (self.duration_weeks, self.capacity):
            if field.process_errors:
                empty = not (field.raw_data or [""])[0].strip()
                field.process_errors = (
                    [] if empty else [message(f"placement.{field.name}.malformed")]
                )

    def prepare(self, session: Session) -> None:
        """Fill the choices that come from the database."""
        self._session = session
        themes = session.scalars(select(Theme).where(Theme.active).order_by(Theme.name)).all()
        self.theme_ids.choices = options((t.id, t.name) for t in themes)
        skills = session.scalars(
            select(Skill).where(Skill.active).order_by(Skill.description, Skill.name)
        ).all()
        self.skill_ids.choices = options((s.id, s.name) for s in skills)
        # One short list per kind of work, which the page's filter narrows further.
        self.skill_groups = skill_groups(skills, self.skill_ids.data or [])
        grades = session.execute(select(Grade.code, Grade.name).order_by(Grade.rank)).all()
        names = [(code, name if name == code else f"{name} ({code})") for code, name in grades]
        self.grade_min.choices = options([("", "Select a grade"), *names])
        self.grade_max.choices = options([("", "Select a grade"), *names])

    def validate(self, extra_validators: Any = None) -> bool:
        """Read every answer, then show the placement service's verdict beside each field."""
        read = super().validate(extra_validators)
        try:
            check_placement(
                self._session, self.placement_data(), stored_closing_date=self.stored_closing_date
            )
        except ValidationFailed as failed:
            add_errors(self, failed.errors, keep_earlier=True)
            return False
        if read and self.location_postcode.data:
            self.location_postcode.data = lookup(self.location_postcode.data).postcode
        return read

    def placement_data(self) -> PlacementData:
        """The answers as the service's input."""
        return PlacementData(
            title=self.title.data or "",
            summary=self.summary.data or "",
            description=self.description.data or "",
            kind=self.kind.data or "",
            theme_ids=chosen_ids(self.theme_ids.data),
            skill_ids=chosen_ids(self.skill_ids.data),
            grade_min=self.grade_min.data or "",
            grade_max=self.grade_max.data or "",
            remote_possible=bool(self.remote_possible.data),
            location_postcode=self.location_postcode.data or "",
            start_date=self.start_date.data,
            duration_weeks=self.duration_weeks.data,
            hours=self.hours.data or "",
            capacity=self.capacity.data,
            closing_date=self.closing_date.data,
        )


def data_to_session(data: PlacementData) -> dict[str, Any]:
    """Placement answers as JSON-friendly values, kept in the session until saved."""
    return {
        "title": data.title,
        "summary": data.summary,
        "description": data.description,
        "kind": data.kind,
        "theme_ids": [str(i) for i in data.theme_ids],
        "skill_ids": [str(i) for i in data.skill_ids],
        "grade_min": data.grade_min,
        "grade_max": data.grade_max,
        "remote_possible": data.remote_possible,
        "location_postcode": data.location_postcode,
        "start_date": data.start_date.isoformat() if data.start_date else None,
        "duration_weeks": data.duration_weeks,
        "hours": data.hours,
        "capacity": data.capacity,
        "closing_date": data.closing_date.isoformat() if data.closing_date else None,
    }


def data_from_session(values: dict[str, Any]) -> PlacementData:
    """The answers kept by ``data_to_session`` back as service input."""

    def day(name: str) -> date | None:
        return date.fromisoformat(values[name]) if values.get(name) else None

    return PlacementData(
        title=values["title"],
        summary=values["summary"],
        description=values["description"],
        kind=values["kind"],
        theme_ids=tuple(int(i) for i in values["theme_ids"]),
        skill_ids=tuple(int(i) for i in values["skill_ids"]),
        grade_min=values["grade_min"],
        grade_max=values["grade_max"],
        remote_possible=bool(values["remote_possible"]),
        location_postcode=values["location_postcode"],
        start_date=day("start_date"),
        duration_weeks=values["duration_weeks"],
        hours=values["hours"],
        capacity=values["capacity"],
        closing_date=day("closing_date"),
    )


def form_values(data: PlacementData) -> dict[str, Any]:
    """Service input as the placement form's starting data."""
    values = data_to_session(data)
    values["start_date"] = data.start_date
    values["closing_date"] = data.closing_date
    return values


class ConfirmForm(BaseForm):
    """A confirmation button that carries the version the member saw."""

    expected_version = HiddenField()


class SaveDraftForm(SubmitOnceForm):
    """The "Save as draft" button on check your answers; saved once however often it is pressed."""


class StatusFilterForm(BaseForm):
    """Filter an organisation's placements by status (a GET form, so no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=options([("", "All statuses"), *((s.value, n) for s, n in STATUS_NAMES.items())]),
        validate_choice=False,
        widget=GovSelect(),
    )


class SearchForm(BaseForm):
    """Search and filter the public list of open placements (a GET form)."""

    class Meta:
        csrf = False

    text = StringField("Search", filters=[_strip], widget=GovTextInput())
    theme = SelectField("Policy theme", validate_choice=False, widget=GovSelect())
    kind = SelectField(
        "Kind of placement",
        choices=options([("", "Any kind"), *((k.value, n) for k, n in KIND_NAMES.items())]),
        validate_choice=False,
        widget=GovSelect(),
    )
    region = SelectField("Region", validate_choice=False, widget=GovSelect())
    remote = SelectField(
        "Remote working",
        choices=options([("", "Remote or on site"), ("yes", "Can be done remotely")]),
        validate_choice=False,
        widget=GovSelect(),
    )
