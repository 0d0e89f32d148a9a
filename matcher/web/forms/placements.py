"""Forms for posting and editing a placement, searching placements and confirming changes.

The placement form checks each answer's shape and the rules a member can fix on the page
(dates in order, grades in order, a real postcode); the service checks them all again on save.
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
from wtforms.validators import InputRequired, NumberRange, ValidationError

from matcher.clock import london_today
from matcher.models import Grade, Hours, PlacementStatus, Skill, Theme
from matcher.reference.postcodes import PostcodeError, lookup
from matcher.services.placements import (
    CAPACITY_MAX,
    DESCRIPTION_MAX,
    DURATION_WEEKS_MAX,
    SKILLS_MAX,
    SUMMARY_MAX,
    THEMES_MAX,
    TITLE_MAX,
    PlacementData,
)
from matcher.web.forms import (
    BaseForm,
    GovCharacterCount,
    GovCheckboxes,
    GovRadios,
    GovSelect,
    GovTextInput,
    GovukDateField,
    SubmitOnceForm,
    in_choices,
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


def _length(label: str, limit: int) -> Any:
    def check(form: BaseForm, field: StringField) -> None:
        if len(field.data or "") > limit:
            raise ValidationError(f"{label} must be {limit:,} characters or fewer")

    return check


class PlacementForm(SubmitOnceForm):
    """Every answer about a placement, on one page in five sections."""

    title = StringField(
        "Title",
        description="For example, Rural transport secondment",
        validators=[InputRequired("Enter a title"), _length("Title", TITLE_MAX)],
        filters=[_strip],
        widget=GovTextInput(),
    )
    summary = StringField(
        "Summary",
        description="One or two sentences shown in search results",
        validators=[InputRequired("Enter a summary"), _length("Summary", SUMMARY_MAX)],
        filters=[_strip],
        widget=GovCharacterCount(),
    )
    description = StringField(
        "Description",
        description="What the person will do, who they will work with and what they will learn",
        validators=[
            InputRequired("Enter a description"),
            _length("Description", DESCRIPTION_MAX),
        ],
        filters=[_strip],
        widget=GovCharacterCount(),
    )
    kind = RadioField(
        "What kind of placement is it?",
        choices=options((kind.value, name) for kind, name in KIND_NAMES.items()),
        validate_choice=False,
        validators=[in_choices("Select the kind of placement")],
        widget=GovRadios(),
    )
    theme_ids = SelectMultipleField(
        "Policy themes",
        description=f"Select up to {THEMES_MAX}",
        validate_choice=False,
        validators=[in_choices("Select at least one policy theme")],
        widget=GovCheckboxes(),
    )
    skill_ids = SelectMultipleField(
        "Skills (optional)",
        description=f"Select up to {SKILLS_MAX}",
        validate_choice=False,
        widget=GovCheckboxes(),
    )
    grade_min = SelectField(
        "Lowest grade",
        validate_choice=False,
        validators=[in_choices("Select a minimum grade")],
        widget=GovSelect(),
    )
    grade_max = SelectField(
        "Highest grade",
        validate_choice=False,
        validators=[in_choices("Select a maximum grade")],
        widget=GovSelect(),
    )
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
        validators=[
            InputRequired("Enter how many weeks the placement lasts"),
            NumberRange(
                min=1,
                max=DURATION_WEEKS_MAX,
                message=f"Duration must be between 1 and {DURATION_WEEKS_MAX} weeks",
            ),
        ],
        widget=GovTextInput(),
    )
    hours = RadioField(
        "Hours",
        choices=options((hours.value, name) for hours, name in HOURS_NAMES.items()),
        validate_choice=False,
        validators=[in_choices("Select the hours")],
        widget=GovRadios(),
    )
    capacity = IntegerField(
        "How many people can it take?",
        validators=[
            InputRequired("Enter how many people the placement is for"),
            NumberRange(
                min=1,
                max=CAPACITY_MAX,
                message=f"Capacity must be between 1 and {CAPACITY_MAX}",
            ),
        ],
        widget=GovTextInput(),
    )
    expected_version = HiddenField()

    def process(self, *args: Any, **kwargs: Any) -> None:
        super().process(*args, **kwargs)
        # IntegerField's own parse messages are not in the GOV.UK style.
        if self.duration_weeks.process_errors:
            self.duration_weeks.process_errors = ["How many weeks must be a whole number, like 26"]
        if self.capacity.process_errors:
            self.capacity.process_errors = ["How many people must be a whole number, like 1"]

    def prepare(self, session: Session) -> None:
        """Fill the choices that come from the database."""
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
        self._ranks = {code: rank for rank, (code, _) in enumerate(grades)}

    def validate_theme_ids(self, field: SelectMultipleField) -> None:
        if len(field.data or []) > THEMES_MAX:
            raise ValidationError(f"Select {THEMES_MAX} themes or fewer")

    def validate_skill_ids(self, field: SelectMultipleField) -> None:
        allowed = {choice.value for choice in field.iter_choices()}
        if any(value not in allowed for value in field.data or []):
            raise ValidationError("Select skills from the list")
        if len(field.data or []) > SKILLS_MAX:
            raise ValidationError(f"Select {SKILLS_MAX} skills or fewer")

    def validate_grade_min(self, field: SelectField) -> None:
        low, high = self._ranks.get(field.data), self._ranks.get(self.grade_max.data)
        if low is not None and high is not None and low > high:
            raise ValidationError("Minimum grade must be the same as or lower than maximum grade")

    def validate_location_postcode(self, field: StringField) -> None:
        if not field.data:
            if not self.remote_possible.data:
                raise ValidationError("Enter a postcode, or say the placement can be done remotely")
            return
        try:
            field.data = lookup(field.data).postcode
        except PostcodeError as error:
            raise ValidationError(error.message) from None

    def validate_closing_date(self, field: GovukDateField) -> None:
        if field.data is None:
            raise ValidationError("Enter a closing date")
        unchanged = field.data == getattr(self, "stored_closing_date", None)
        if not unchanged and field.data <= london_today():
            raise ValidationError("Closing date must be in the future")

    def validate_start_date(self, field: GovukDateField) -> None:
        if field.data is None:
            raise ValidationError("Enter a start date")
        closing = self.closing_date.data
        if closing is not None and field.data <= closing:
            raise ValidationError("Start date must be after the closing date")

    def placement_data(self) -> PlacementData:
        """The answers as the service's input."""
        return PlacementData(
            title=self.title.data,
            summary=self.summary.data,
            description=self.description.data,
            kind=self.kind.data,
            theme_ids=tuple(int(i) for i in self.theme_ids.data or []),
            skill_ids=tuple(int(i) for i in self.skill_ids.data or []),
            grade_min=self.grade_min.data,
            grade_max=self.grade_max.data,
            remote_possible=bool(self.remote_possible.data),
            location_postcode=self.location_postcode.data or "",
            start_date=self.start_date.data,
            duration_weeks=self.duration_weeks.data,
            hours=self.hours.data,
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
