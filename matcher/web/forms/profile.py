"""Forms of the civil-servant profile questions: one question (or a close pair) per page.

Each form turns its valid answers into draft values (``answers``) and back (``from_draft``):
JSON-friendly strings, numbers and lists, kept in the session until the profile is saved.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import IntegerField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Optional, ValidationError

from matcher.clock import london_today
from matcher.distances import whole_km, whole_miles
from matcher.models import (
    Department,
    DigestFrequency,
    Grade,
    Hours,
    Profession,
    Region,
    Skill,
    Theme,
)
from matcher.reference.postcodes import lookup
from matcher.services.messages import message
from matcher.services.profiles import (
    about_error,
    available_until_error,
    location_error,
    travel_limit_error,
)
from matcher.web.forms import (
    BaseForm,
    GovCharacterCount,
    GovCheckboxes,
    GovRadios,
    GovSelect,
    GovTextInput,
    GovukDateField,
    in_choices,
    options,
    skill_groups,
)
from matcher.web.wording import PLACEMENT_KIND_NAMES

KIND_NAMES = PLACEMENT_KIND_NAMES
HOURS_NAMES = {
    Hours.FULL_TIME: "Full time",
    Hours.PART_TIME: "Part time",
    Hours.FLEXIBLE: "Flexible, either suits me",
}
DIGEST_NAMES = {
    DigestFrequency.WEEKLY: "Weekly",
    DigestFrequency.DAILY: "Daily",
    DigestFrequency.NEVER: "Never, I will check the service myself",
}
YES_NO = [("yes", "Yes"), ("no", "No")]


class QuestionForm(BaseForm):
    """A profile question page's form."""

    keys: ClassVar[tuple[str, ...]] = ()

    def prepare(self, session: Session) -> None:
        """Fill choices that come from the database."""

    def answers(self) -> dict[str, Any]:
        """The valid answers as draft values."""
        return {key: self._fields[key].data for key in self.keys}

    @classmethod
    def from_draft(cls, draft: dict[str, Any]) -> dict[str, Any]:
        """Draft values as this form's starting data."""
        return {key: draft.get(key) for key in cls.keys}


def _select(label: str, message: str) -> SelectField:
    return SelectField(
        label, validate_choice=False, validators=[in_choices(message)], widget=GovSelect()
    )


class DepartmentForm(QuestionForm):
    keys = ("department_id",)
    department_id = _select(
        "Which department do you work for?", message("profile.department.missing")
    )

    def prepare(self, session: Session) -> None:
        rows = session.execute(select(Department.id, Department.name).order_by(Department.name))
        self.department_id.choices = options([("", "Select a department"), *rows.tuples()])


class GradeForm(QuestionForm):
    keys = ("grade_rank",)
    grade_rank = RadioField(
        "What is your grade?",
        validate_choice=False,
        validators=[in_choices(message("profile.grade.missing"))],
        widget=GovRadios(),
    )

    def prepare(self, session: Session) -> None:
        rows = session.execute(select(Grade.rank, Grade.code, Grade.name).order_by(Grade.rank))
        self.grade_rank.choices = options(
            (rank, name if name == code else f"{name} ({code})") for rank, code, name in rows
        )


class ProfessionForm(QuestionForm):
    keys = ("profession_id",)
    profession_id = _select("What is your profession?", message("profile.profession.missing"))

    def prepare(self, session: Session) -> None:
        rows = session.execute(select(Profession.id, Profession.name).order_by(Profession.name))
        self.profession_id.choices = options([("", "Select a profession"), *rows.tuples()])


class ThemesForm(QuestionForm):
    keys = ("theme_ids",)
    theme_ids = SelectMultipleField(
        "Which policy themes interest you?",
        description="Select all that apply",
        validate_choice=False,
        validators=[in_choices(message("profile.themes.missing"))],
        widget=GovCheckboxes(),
    )

    def prepare(self, session: Session) -> None:
        themes = session.scalars(select(Theme).where(Theme.active).order_by(Theme.name)).all()
        self.theme_ids.choices = options((t.id, t.name) for t in themes)
        # Each theme's description, shown as its checkbox's hint.
        self.hints = [{"hint": {"text": t.description}} for t in themes]


class SkillsForm(QuestionForm):
    keys = ("skill_ids",)
    skill_ids = SelectMultipleField(
        "What are your skills?",
        validate_choice=False,
        validators=[in_choices(message("profile.skills.missing"))],
    )

    def prepare(self, session: Session) -> None:
        skills = session.scalars(
            select(Skill).where(Skill.active).order_by(Skill.description, Skill.name)
        ).all()
        self.skill_ids.choices = options((s.id, s.name) for s in skills)
        # One short list per kind of work instead of one list of a hundred.
        self.groups = skill_groups(skills, self.skill_ids.data or [])


class LocationForm(QuestionForm):
    # Two optional fields rather than radios with conditional reveals: GOV.UK Frontend's
    # reveal script puts aria-expanded on radio inputs, which axe-core reports as a violation.
    keys = ("postcode", "region_code")
    postcode = StringField(
        "Home postcode",
        description="We use it to find placements you can travel to. Organisations never see it",
        widget=GovTextInput(),
        filters=[lambda value: value.strip() if value else value],
    )
    region_code = SelectField(
        "Or, if you would rather not give your postcode, your region",
        validate_choice=False,
        widget=GovSelect(),
    )

    def prepare(self, session: Session) -> None:
        rows = session.execute(select(Region.code, Region.name).order_by(Region.name))
        self.region_code.choices = options([("", "Select a region"), *rows.tuples()])
        self._session = session

    def validate_postcode(self, field: StringField) -> None:
        if not field.data and self.region_code.data:
            return
        problem = location_error(self._session, field.data, None)
        if problem:
            raise ValidationError(problem)
        field.data = lookup(field.data).postcode

    def validate_region_code(self, field: SelectField) -> None:
        if field.data and not self.postcode.data:
            problem = location_error(self._session, None, field.data)
            if problem:
                raise ValidationError(problem)

    def answers(self) -> dict[str, Any]:
        return {
            "postcode": self.postcode.data or None,
            "region_code": None if self.postcode.data else self.region_code.data,
        }


class TravelForm(QuestionForm):
    keys = ("travel_limit_km", "remote_ok")
    # Asked in miles, stored in kilometres (matcher.distances converts).
    travel_limit_miles = IntegerField(
        "How far could you travel to a placement, in miles?",
        description="Measured in a straight line from your home. For example, 25",
        validators=[
            InputRequired(message("profile.travel_limit.missing")),
        ],
        widget=GovTextInput(),
    )
    remote_ok = RadioField(
        "Would a placement you can mostly do remotely suit you?",
        choices=options(YES_NO),
        validate_choice=False,
        validators=[in_choices(message("profile.remote_ok.missing"))],
        widget=GovRadios(),
    )

    def process(self, *args: Any, **kwargs: Any) -> None:
        super().process(*args, **kwargs)
        # IntegerField's own parse message is not in the GOV.UK style.
        if self.travel_limit_miles.process_errors:
            self.travel_limit_miles.process_errors = [message("profile.travel_limit.malformed")]

    def validate_travel_limit_miles(self, field: IntegerField) -> None:
        if field.data is None:
            return
        problem = travel_limit_error(whole_km(field.data), in_miles=True)
        if problem:
            raise ValidationError(problem)

    def answers(self) -> dict[str, Any]:
        return {
            "travel_limit_km": whole_km(self.travel_limit_miles.data),
            "remote_ok": self.remote_ok.data == "yes",
        }

    @classmethod
    def from_draft(cls, draft: dict[str, Any]) -> dict[str, Any]:
        remote = draft.get("remote_ok")
        km = draft.get("travel_limit_km")
        return {
            "travel_limit_miles": None if km is None else whole_miles(km),
            "remote_ok": None if remote is None else ("yes" if remote else "no"),
        }


class AvailabilityForm(QuestionForm):
    keys = ("available_from", "available_until")
    available_from = GovukDateField(
        "Available from",
        description="For example, 1 3 2027",
        subject="The date you are available from",
    )
    available_until = GovukDateField(
        "Available until (optional)",
        description="Leave this empty if you have no end date in mind",
        subject="The date you are available until",
        validators=[Optional()],
    )

    def validate_available_from(self, field: GovukDateField) -> None:
        if field.data is None:
            raise ValidationError(message("profile.available_from.missing"))

    def validate_available_until(self, field: GovukDateField) -> None:
        start = self.available_from.data
        if start is not None:
            problem = available_until_error(start, field.data, london_today())
            if problem:
                raise ValidationError(problem)

    def answers(self) -> dict[str, Any]:
        start, until = self.available_from.data, self.available_until.data
        return {
            "available_from": start.isoformat() if start else None,
            "available_until": until.isoformat() if until else None,
        }

    @classmethod
    def from_draft(cls, draft: dict[str, Any]) -> dict[str, Any]:
        return {key: date.fromisoformat(draft[key]) if draft.get(key) else None for key in cls.keys}


class PlacementsForm(QuestionForm):
    keys = ("wanted_kinds", "hours")
    wanted_kinds = SelectMultipleField(
        "What kinds of placement do you want?",
        description="Select all that apply",
        choices=options((kind.value, name) for kind, name in KIND_NAMES.items()),
        validate_choice=False,
        validators=[in_choices(message("profile.wanted_kinds.missing"))],
        widget=GovCheckboxes(),
    )
    hours = RadioField(
        "What hours could you work on a placement?",
        choices=options((hours.value, name) for hours, name in HOURS_NAMES.items()),
        validate_choice=False,
        validators=[in_choices(message("profile.hours.missing"))],
        widget=GovRadios(),
    )


class AboutForm(QuestionForm):
    keys = ("about",)
    about = StringField(
        "Tell organisations about yourself (optional)",
        description="What you have worked on, what you want to learn, and what you could bring. "
        "Do not include your name or contact details",
        widget=GovCharacterCount(),
        filters=[lambda value: value.strip() if value else ""],
    )

    def validate_about(self, field: StringField) -> None:
        problem = about_error(field.data or "")
        if problem:
            raise ValidationError(problem)

    def answers(self) -> dict[str, Any]:
        return {"about": self.about.data or ""}


class DiscoverableForm(QuestionForm):
    keys = ("discoverable",)
    discoverable = RadioField(
        "Can organisations find your profile?",
        choices=options(
            [
                ("yes", "Yes, organisations can find my profile and invite me"),
                ("no", "No, only show me placements"),
            ]
        ),
        validate_choice=False,
        validators=[in_choices(message("profile.discoverable.missing"))],
        widget=GovRadios(),
    )

    def answers(self) -> dict[str, Any]:
        return {"discoverable": self.discoverable.data == "yes"}

    @classmethod
    def from_draft(cls, draft: dict[str, Any]) -> dict[str, Any]:
        value = draft.get("discoverable")
        return {"discoverable": None if value is None else ("yes" if value else "no")}


class EmailsForm(QuestionForm):
    keys = ("digest_frequency",)
    digest_frequency = RadioField(
        "How often should we email you new matches?",
        choices=options((frequency.value, name) for frequency, name in DIGEST_NAMES.items()),
        validate_choice=False,
        validators=[in_choices(message("profile.digest_frequency.missing"))],
        widget=GovRadios(),
    )
