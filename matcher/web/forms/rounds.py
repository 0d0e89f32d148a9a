"""Forms of the allocation round pages: a round's settings, invitations (typed or a CSV file),
offered places, unacceptable marks and a participant's choices.

The forms only read the answers; the round services check them and word every refusal.
"""

from __future__ import annotations

from flask_wtf.file import FileField
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from matcher.models import Department, Placement
from matcher.web.forms import (
    GovCharacterCount,
    GovRadios,
    GovSelect,
    GovTextInput,
    GovukDateField,
    SubmitOnceForm,
    options,
    submitted_id,
)


def _strip(value: str | None) -> str:
    return value.strip() if value else ""


def whole_number(value: str | None) -> int | None:
    """A typed count, read by the rule for ids, or None for anything else (the service says what
    is missing); a count of none stays 0, which the service says is too few."""
    text = (value or "").strip()
    if text and not text.strip("0"):
        return 0
    return submitted_id(text) or None


class SchemeForm(SubmitOnceForm):
    """A new scheme's name and the department it is run for, if any."""

    name = StringField(
        "What is the scheme called?",
        description="For example, Fast Stream local placements",
        widget=GovTextInput(),
        filters=[_strip],
    )
    department_id = SelectField(
        "Which department runs it? (optional)",
        description="Leave this for a scheme across government, run by platform administrators",
        validate_choice=False,
        widget=GovSelect(),
    )

    def prepare(self, session: Session) -> None:
        """Offer every department by name."""
        rows = session.execute(select(Department.id, Department.name).order_by(Department.name))
        self.department_id.choices = options([("", "Across government"), *rows.tuples()])


class ManagerForm(SubmitOnceForm):
    """The email address of a civil servant to appoint as one of a scheme's managers."""

    email = StringField(
        "What is their email address?",
        description="They must already have an account as a civil servant",
        widget=GovTextInput(),
        filters=[_strip],
    )


class RoundForm(SubmitOnceForm):
    """A round's name, how many places each participant ranks, and its two deadlines."""

    name = StringField(
        "What is the round called?",
        description="Participants and organisations see this. For example, Autumn 2026 graduates",
        widget=GovTextInput(),
        filters=[_strip],
    )
    max_choices = StringField(
        "How many places can each participant choose?",
        description="They rank them, first choice first. For example, 5",
        widget=GovTextInput(),
        filters=[_strip],
    )
    preferences_close_on = GovukDateField(
        "When do choices close? (optional)",
        description="For example, 14 12 2026",
        subject="The date choices close",
        validators=[Optional()],
    )
    confirmations_close_on = GovukDateField(
        "By when must people confirm their places? (optional)",
        description="After results are published. For example, 8 1 2027",
        subject="The date to confirm by",
        validators=[Optional()],
    )


class RoundSettingsForm(RoundForm):
    """A round's settings as they stand, and the version they were read at: a change someone
    else saved since is not overwritten."""

    expected_version = HiddenField()


class InviteParticipantsForm(SubmitOnceForm):
    """Email addresses to invite, one a line."""

    emails = TextAreaField(
        "Who do you want to invite?",
        description="Enter their work email addresses, one on each line",
        widget=GovCharacterCount(),
    )


class InviteFileForm(SubmitOnceForm):
    """A CSV file whose email column lists the people to invite."""

    file = FileField(
        "Upload a CSV file",
        description="The first row must name a column called email. Other columns are ignored",
    )


class OfferPlaceForm(SubmitOnceForm):
    """Which of the organisation's placements to offer, and how many of the cohort it takes."""

    placement_id = RadioField(
        "Which placement do you want to offer?", validate_choice=False, widget=GovRadios()
    )
    places = StringField(
        "How many of the cohort can it take?",
        description="No more than the placement's own number of places",
        widget=GovTextInput(),
        filters=[_strip],
    )

    def prepare(self, placements: list[Placement]) -> None:
        """Offer the organisation's placements by title."""
        self.placement_id.choices = options((p.id, p.title) for p in placements)


class UnacceptableForm(SubmitOnceForm):
    """Why the organisation cannot take a participant: the participant reads this."""

    reason = TextAreaField(
        "Why can your organisation not take this person?",
        description="They will read this with their result. Do not include other people's details",
        widget=GovCharacterCount(),
    )
