"""Forms of the API tokens pages: create a token, confirm revoking one."""

from __future__ import annotations

from wtforms import RadioField, StringField
from wtforms.validators import Optional

from matcher.models import Membership
from matcher.web.forms import (
    BaseForm,
    GovRadios,
    GovTextInput,
    GovukDateField,
    SubmitOnceForm,
    options,
)


class NewTokenForm(SubmitOnceForm):
    """Name a token, choose the organisation it acts for, and when it stops working.

    The service checks the answers (a name, an organisation of the member's, an expiry in the
    future); the form only reads them, so the rules live in one place.
    """

    name = StringField(
        "Name",
        description="So you can tell your tokens apart. For example, HR system",
        widget=GovTextInput(),
        filters=[lambda value: value.strip() if value else ""],
    )
    organisation_id = RadioField(
        "Which organisation will the token act for?",
        validate_choice=False,
        widget=GovRadios(),
    )
    expires_on = GovukDateField(
        "Expiry date (optional)",
        description="The token stops working at the end of this day. "
        "Leave this empty for a token that works until you revoke it. For example, 31 3 2027",
        subject="The expiry date",
        validators=[Optional()],
    )

    def prepare(self, memberships: list[Membership]) -> None:
        """Ask which organisation only of a member of several; one choice is no question."""
        if len(memberships) < 2:
            del self.organisation_id
            return
        self.organisation_id.choices = options(
            (membership.organisation_id, membership.organisation.name) for membership in memberships
        )


class RevokeTokenForm(BaseForm):
    """A button that revokes a token; it carries the CSRF token."""
