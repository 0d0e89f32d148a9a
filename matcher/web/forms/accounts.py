"""Forms of the accounts pages: register, sign in, passwords, email address."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError

from matcher.models import Role
from matcher.security.password_policy import MAX_LENGTH, MIN_LENGTH
from matcher.web.forms import (
    BaseForm,
    GovPasswordInput,
    GovRadios,
    GovTextInput,
    SubmitOnceForm,
    in_choices,
    options,
)


def real_email(form: BaseForm, field: EmailField) -> None:
    """An address with a name, an @ and a domain that could receive email."""
    try:
        validate_email(field.data or "", check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(
            "Enter an email address in the correct format, like name@example.gov.uk"
        ) from None


def has_at(form: BaseForm, field: EmailField) -> None:
    """Something before and after an @: enough to look up an account that already exists.

    Sign-in takes any address an account has (like the demo's admin@matcher.localhost, a
    special-use domain a format check refuses); only new addresses are checked for format.
    """
    name, at, domain = (field.data or "").rpartition("@")
    if not (name and at and domain):
        raise ValidationError(
            "Enter an email address in the correct format, like name@example.gov.uk"
        )


class EmailInput(GovTextInput):
    """A GOV.UK text input of type email."""

    input_type = "email"


def _email_field(label: str, hint: str = "", *, existing: bool = False) -> EmailField:
    return EmailField(
        label,
        description=hint,
        validators=[DataRequired("Enter your email address"), has_at if existing else real_email],
        widget=EmailInput(),
        filters=[lambda value: value.strip() if value else value],
    )


def _new_password_field(label: str = "Create a password") -> PasswordField:
    return PasswordField(
        label,
        description=f"Must be {MIN_LENGTH} characters or more. A few unrelated words work well",
        validators=[
            InputRequired("Enter a password"),
            Length(min=MIN_LENGTH, message=f"Password must be {MIN_LENGTH} characters or more"),
            Length(max=MAX_LENGTH, message=f"Password must be {MAX_LENGTH} characters or fewer"),
        ],
        widget=GovPasswordInput(),
    )


class RegisterForm(SubmitOnceForm):
    """Create an account."""

    role = RadioField(
        "Where do you work?",
        choices=options(
            [
                (Role.CIVIL_SERVANT.value, "In a central government department"),
                (
                    Role.ORGANISATION_MEMBER.value,
                    "In a council, police force, regional partnership or other local public body",
                ),
            ]
        ),
        validate_choice=False,
        validators=[in_choices("Select where you work")],
        widget=GovRadios(),
    )
    display_name = StringField(
        "Full name",
        validators=[
            DataRequired("Enter your full name"),
            Length(max=120, message="Full name must be 120 characters or fewer"),
        ],
        widget=GovTextInput(),
        filters=[lambda value: value.strip() if value else value],
    )
    email = _email_field(
        "Work email address",
        "Civil servants must use a government address, like name@department.gov.uk",
    )
    password = _new_password_field()


class SignInForm(BaseForm):
    """Sign in with email address and password."""

    email = _email_field("Email address", existing=True)
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password")],
        widget=GovPasswordInput(),
    )


class EmailOnlyForm(BaseForm):
    """Ask for an email address, to send a reset link to."""

    email = _email_field("Email address", existing=True)


class NewPasswordForm(BaseForm):
    """Choose a new password through a reset link."""

    password = _new_password_field("New password")
    confirm = PasswordField(
        "Confirm new password",
        validators=[
            InputRequired("Confirm your new password"),
            EqualTo("password", message="Enter the same password in both boxes"),
        ],
        widget=GovPasswordInput(),
    )


class ChangePasswordForm(BaseForm):
    """Change the password of a signed-in account."""

    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password")],
        widget=GovPasswordInput(),
    )
    new_password = _new_password_field("New password")


class ChangeEmailForm(BaseForm):
    """Ask to move the account to a new email address."""

    email = _email_field("New email address")
    password = PasswordField(
        "Your password",
        description="So we know it is you",
        validators=[InputRequired("Enter your password")],
        widget=GovPasswordInput(),
    )
