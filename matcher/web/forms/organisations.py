"""Forms for choosing, proposing and running an organisation: joining, inviting, roles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from matcher.models import MembershipRole, Organisation, Region
from matcher.services.memberships import MESSAGE_MAX
from matcher.services.organisations import KIND_NAMES
from matcher.web.forms import (
    BaseForm,
    GovCharacterCount,
    GovRadios,
    GovSelect,
    GovTextInput,
    SubmitOnceForm,
    in_choices,
    options,
)

ROLE_NAMES = {
    MembershipRole.ADMIN: "Administrator",
    MembershipRole.MEMBER: "Member",
}


def _strip(value: str | None) -> str:
    return value.strip() if value else ""


class JoinForm(BaseForm):
    """Choose one of the organisations the member's email address lets them join."""

    organisation_id = RadioField(
        "Which organisation do you work for?",
        validate_choice=False,
        validators=[in_choices("Select your organisation")],
        widget=GovRadios(),
    )


class AskToJoinForm(BaseForm):
    """Ask the administrators of any verified organisation to let the member join.

    No one-time token: the service keeps one pending request per person and organisation.
    """

    organisation_id = SelectField(
        "Which organisation do you want to join?",
        # The service explains an organisation that is not (or no longer) verified, which a
        # check against the list of choices would only call "not chosen".
        validate_choice=False,
        validators=[InputRequired("Select the organisation you want to join")],
        widget=GovSelect(),
    )
    message = TextAreaField(
        "Message to the organisation (optional)",
        description="Say who you are and what you do there, so they know it is you",
        filters=[_strip],
        validators=[
            Length(
                max=MESSAGE_MAX, message=f"Your message must be {MESSAGE_MAX} characters or fewer"
            )
        ],
        widget=GovCharacterCount(),
    )

    def prepare(self, organisations: list[Organisation]) -> None:
        """Offer ``organisations`` (the verified ones) by name."""
        self.organisation_id.choices = options(
            [("", "Select an organisation"), *((o.id, o.name) for o in organisations)]
        )


class ProposeForm(SubmitOnceForm):
    """Propose an organisation that is not in the list."""

    name = StringField(
        "Name of the organisation",
        validators=[InputRequired("Enter the name of the organisation")],
        filters=[_strip],
        widget=GovTextInput(),
    )
    kind = RadioField(
        "What kind of organisation is it?",
        choices=options((kind.value, name) for kind, name in KIND_NAMES.items()),
        validate_choice=False,
        validators=[in_choices("Select the kind of organisation")],
        widget=GovRadios(),
    )
    ons_code = StringField(
        "ONS code (councils only)",
        description="The council's local authority code, like E07000123",
        filters=[_strip],
        widget=GovTextInput(),
    )
    region_code = SelectField("Region (optional)", validate_choice=False, widget=GovSelect())
    email_domain = StringField(
        "Email domain (optional)",
        description="Colleagues with an address in this domain can join without an invitation. "
        "Your own address must be in it. For example, leeds.gov.uk",
        filters=[_strip],
        widget=GovTextInput(),
    )

    def prepare(self, session: Session) -> None:
        """Fill the region choices."""
        rows = session.execute(select(Region.code, Region.name).order_by(Region.name))
        self.region_code.choices = options([("", "Select a region"), *rows.tuples()])


class InviteForm(SubmitOnceForm):
    """Invite a colleague by email address."""

    email = StringField(
        "Email address",
        validators=[InputRequired("Enter an email address")],
        filters=[_strip],
        widget=GovTextInput(),
    )
    role = RadioField(
        "What should they be able to do?",
        choices=options(
            [
                (MembershipRole.MEMBER.value, "Member: post and manage placements"),
                (
                    MembershipRole.ADMIN.value,
                    "Administrator: also invite and remove members",
                ),
            ]
        ),
        default=MembershipRole.MEMBER.value,
        validate_choice=False,
        validators=[in_choices("Select what they should be able to do")],
        widget=GovRadios(),
    )


class RoleForm(BaseForm):
    """Change what a member may do."""

    role = RadioField(
        "What should this person be able to do?",
        choices=options((role.value, name) for role, name in ROLE_NAMES.items()),
        validate_choice=False,
        validators=[in_choices("Select a role")],
        widget=GovRadios(),
    )


class ChooseOrganisationForm(BaseForm):
    """Choose which of the member's organisations to act for."""

    organisation_id = RadioField(
        "Which organisation do you want to act for?",
        # The membership service decides what may be chosen, not the list on the page.
        validate_choice=False,
        validators=[InputRequired("Select an organisation")],
        widget=GovRadios(),
    )


class ButtonForm(BaseForm):
    """A form that is only a button; it carries the CSRF token."""
