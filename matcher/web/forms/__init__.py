"""Form building blocks: GOV.UK widgets, a GOV.UK date field and error-summary links.

Forms are Flask-WTF forms, so every one is CSRF-protected. Fields render through
govuk-frontend-wtf widgets, which call the GOV.UK Frontend macros of govuk-frontend-jinja
(the release that matches the vendored GOV.UK Frontend 6.3.0).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovDateInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovTextInput,
)
from wtforms import Field, HiddenField, SelectChoice
from wtforms.validators import StopValidation

from matcher.database import ID_MAX
from matcher.services import messages

__all__ = [
    "BaseForm",
    "GovCharacterCount",
    "GovCheckboxes",
    "GovPasswordInput",
    "GovRadios",
    "GovSelect",
    "GovTextInput",
    "GovukDateField",
    "SubmitOnceForm",
    "chosen_ids",
    "skill_groups",
    "submitted_id",
]

# No row has this id: a service given it for a choice says the choice is unknown, in its words,
# and a version given it is stale.
UNKNOWN_ID = 0


def submitted_id(value: str | int | None) -> int | None:
    """The id a form or query value names: None when it is empty, else the id or UNKNOWN_ID.

    Only ASCII digits up to ID_MAX name an id. "²" and "٣" are digits to str.isdigit() (and
    "٣" is 3 to int()), a padded value comes from no page, and PostgreSQL's integer columns end
    at ID_MAX: such a value is refused as unknown by the service rather than read or queried.
    A field that was not posted keeps the data the view gave it, which may be an int.
    """
    if value is None or value == "":
        return None
    text = str(value)
    if text.isascii() and text.isdigit() and len(text) <= len(str(ID_MAX)):
        number = int(text)
        if number <= ID_MAX:
            return number
    return UNKNOWN_ID


def chosen_ids(values: Iterable[str] | None) -> tuple[int, ...]:
    """The ids of the boxes ticked, each read by ``submitted_id``; an empty value is unknown."""
    return tuple(submitted_id(value) or UNKNOWN_ID for value in values or ())


def _without_empty_hint(params: dict[str, Any]) -> dict[str, Any]:
    hint = params.get("hint") or {}
    if not hint.get("text") and not hint.get("html"):
        params.pop("hint", None)
    return params


def _with_legend(field: Field, params: dict[str, Any]) -> dict[str, Any]:
    """Put the field's question in its fieldset's legend unless the page gave other words.

    govuk-frontend-wtf fills the legend only when the page passes no ``fieldset`` at all, so a
    page that only styled the legend (or made it the page heading) got an empty one.
    """
    legend = params.setdefault("fieldset", {}).setdefault("legend", {})
    if not legend.get("text") and not legend.get("html"):
        legend["text"] = field.label.text
    return params


class GovRadios(GovRadioInput):
    """Radios with the question as their legend, and no empty hint."""

    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        return _with_legend(field, _without_empty_hint(super().map_gov_params(field, **kwargs)))


class GovCheckboxes(GovCheckboxesInput):
    """Checkboxes with the question as their legend, and no empty hint."""

    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        return _with_legend(field, _without_empty_hint(super().map_gov_params(field, **kwargs)))


class GovDate(GovDateInput):
    """A GOV.UK date input: the question as its legend, parts named ``field-day`` and so on."""

    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        day, month, year = field.parts
        params = _with_legend(field, super().map_gov_params(field, **kwargs))
        error_class = " govuk-input--error" if field.errors else ""
        params["namePrefix"] = field.name
        params["items"] = [
            {
                "name": "day",
                "label": "Day",
                "classes": "govuk-input--width-2" + error_class,
                "value": day,
            },
            {
                "name": "month",
                "label": "Month",
                "classes": "govuk-input--width-2" + error_class,
                "value": month,
            },
            {
                "name": "year",
                "label": "Year",
                "classes": "govuk-input--width-4" + error_class,
                "value": year,
            },
        ]
        return params


class GovukDateField(Field):
    """A date typed as day, month and year, checked with the GOV.UK date error messages.

    ``subject`` names the date in messages, like "The date you can start".
    """

    widget = GovDate()

    def __init__(self, label: str = "", validators: Any = None, *, subject: str, **kwargs: Any):
        super().__init__(label, validators, **kwargs)
        self.subject = subject
        self.parts: tuple[str, str, str] = ("", "", "")
        self.data: date | None = None

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors: list[str] = []
        self.raw_data = None
        if formdata is not None and any(f"{self.name}-{p}" in formdata for p in _PARTS):
            parts = tuple(formdata.get(f"{self.name}-{part}", "").strip() for part in _PARTS)
            self.parts = parts
            self.raw_data = list(parts)
            self.data = None
            return
        value = data if data is not None else self.default
        self.data = value if isinstance(value, date) else None
        if self.data is not None:
            self.parts = (str(self.data.day), str(self.data.month), str(self.data.year))

    def pre_validate(self, form: Any) -> None:
        if self.raw_data is None:
            return
        day, month, year = self.parts
        if not (day or month or year):
            self.data = None
            return
        missing = [name for name, value in zip(_PARTS, self.parts, strict=True) if not value]
        if missing:
            self.data = None
            raise StopValidation(
                messages.message(
                    "date.part_missing", subject=self.subject, parts=" and ".join(missing)
                )
            )
        try:
            parsed = date(int(year), int(month), int(day))
        except ValueError:
            self.data = None
            raise StopValidation(messages.message("date.not_real", subject=self.subject)) from None
        if len(year) != 4:
            self.data = None
            raise StopValidation(messages.message("date.year_digits"))
        self.data = parsed

    def _value(self) -> str:
        return " ".join(self.parts)


_PARTS = ("day", "month", "year")


def first_input_id(field: Field) -> str:
    """The id of the control an error-summary link should move focus to."""
    if isinstance(field, GovukDateField):
        day, month, year = field.parts
        for name, value in zip(_PARTS, (day, month, year), strict=True):
            if not value:
                return f"{field.id}-{name}"
        return f"{field.id}-day"
    return field.id


class BaseForm(FlaskForm):
    """A CSRF-protected form that can list its errors for the GOV.UK error summary."""

    def error_list(self) -> list[dict[str, str]]:
        """Each field's first error, linked to its first control, in the order of the form."""
        return [
            {"text": field.errors[0], "href": f"#{first_input_id(field)}"}
            for field in self
            if field.errors and not isinstance(field, HiddenField)
        ]


class SubmitOnceForm(BaseForm):
    """A form whose rendering carries a one-time token, so a second submission can be spotted."""

    submission = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.submission.data:
            self.submission.data = secrets.token_urlsafe(16)


def in_choices(message: str) -> Any:
    """A validator: the answer must be one of the field's choices (one or several)."""

    def check(form: BaseForm, field: Field) -> None:
        allowed = {str(choice.value) for choice in field.iter_choices()}
        values = field.data if isinstance(field.data, list) else [field.data]
        if not values or any(value in (None, "") or str(value) not in allowed for value in values):
            raise StopValidation(message)

    return check


def options(pairs: Any) -> list[SelectChoice]:
    """Choices for a select, radios or checkboxes field from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def skill_groups(skills: Iterable[Any], chosen: Iterable[Any]) -> list[tuple[str, list[dict]]]:
    """Skills as checkbox items, one list per kind of work (each skill's description names it).

    ``skills`` come in the order to show them, kinds of work together; ``chosen`` are the ids
    ticked.
    """
    ticked = {str(value) for value in chosen}
    groups: dict[str, list[dict[str, Any]]] = {}
    for skill in skills:
        groups.setdefault(skill.description or "Other skills", []).append(
            {"value": str(skill.id), "text": skill.name, "checked": str(skill.id) in ticked}
        )
    return list(groups.items())


def add_errors(
    form: BaseForm,
    errors: dict[str, str],
    names: dict[str, str] | None = None,
    *,
    keep_earlier: bool = False,
) -> None:
    """Show a service's field errors on ``form``; ``names`` maps service fields to form fields.

    With ``keep_earlier``, a field that already has an error (an answer that could not be read)
    keeps it: the service only saw that answer as missing.
    """
    for name, message in errors.items():
        field = form._fields.get((names or {}).get(name, name))
        if field is None:
            field = next(f for f in form if not isinstance(f, HiddenField))
        if keep_earlier and field.errors:
            continue
        field.errors = [message]
    form._errors = None
