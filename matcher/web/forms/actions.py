"""Forms of the matches, candidates and administration pages."""

from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from matcher.web.forms import BaseForm, GovCharacterCount, GovTextInput, SubmitOnceForm

REASON_MAX = 1000


class ActionForm(SubmitOnceForm):
    """A button that changes something: CSRF and a one-time token, no fields."""


class OfferForm(SubmitOnceForm):
    """The message that goes with an offer; the interest service checks it."""

    message = TextAreaField(
        "Your message to them",
        description="They will see it with the offer and in the offer email",
        widget=GovCharacterCount(),
    )


class UnpublishForm(SubmitOnceForm):
    """Why an administrator is taking a placement down."""

    reason = TextAreaField(
        "Why are you unpublishing this placement?",
        description="The organisation will see this. Do not include personal information",
        validators=[
            InputRequired("Enter why the placement is being unpublished"),
            Length(max=REASON_MAX, message=f"Reason must be {REASON_MAX:,} characters or fewer"),
        ],
        widget=GovCharacterCount(),
    )


class TermForm(SubmitOnceForm):
    """The name of a theme or skill."""

    name = StringField(
        "Name",
        validators=[InputRequired("Enter the name")],
        widget=GovTextInput(),
        filters=[lambda value: value.strip() if value else value],
    )


class AuditFilterForm(BaseForm):
    """Filters of the audit log; a GET form, so no CSRF token."""

    class Meta:
        csrf = False
