"""Forms for choosing, proposing and running an organisation: joining, inviting, roles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import InputRequired

from matcher.models import MembershipRole, OrganisationKind, Region
from matcher.web.forms import (
    BaseForm,
    GovRadios,
    GovSelect,
    GovTextInput,
    SubmitOnceForm,
    in_choices,
    options,
)

KIND_NAMES = {
    OrganisationKind.COUNCIL: "Council",
    OrganisationKind.POLICE_FORCE: "Police force",
    OrganisationKind.REGIONAL_PARTNERSHIP: "Regional partnership",
    OrganisationKind.OTHER_PUBLIC_BODY: "Other public body",
}
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


class ButtonForm(BaseForm):
    """A form that is only a button; it carries the CSRF token."""
