"""Account pages: register, confirm, sign in and out, passwords, email, data and deletion."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from matcher.extensions import app_settings, db
from matcher.http import ratelimit
from matcher.models import Role, User, utcnow
from matcher.services import accounts as service
from matcher.services import memberships
from matcher.services.personal_data import export_personal_data
from matcher.web.auth import (
    get_current_user,
    login_required,
    refresh_sign_in,
    safe_next,
    sign_in,
    sign_out,
)
from matcher.web.forms import add_errors
from matcher.web.forms.accounts import (
    ChangeEmailForm,
    ChangePasswordForm,
    EmailOnlyForm,
    NewPasswordForm,
    RegisterForm,
    SignInForm,
)
from matcher.web.once import first_submission
from matcher.web.pages import form_page
from matcher.web.unit_of_work import answering, unit_of_work

accounts = Blueprint("accounts", __name__)

_UNCONFIRMED = "unconfirmed_user_id"


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _link_not_valid(error: service.LinkNotValid) -> tuple[str, int]:
    return render_template("pages/accounts/link_not_valid.html", expired=error.expired), 400


def _home_for(role: Role) -> str:
    if role == Role.CIVIL_SERVANT:
        return url_for("profile.summary")
    return url_for("accounts.account")


@accounts.route("/register", methods=["GET", "POST"])
@unit_of_work
def register():
    """Create an account with a work email address."""
    form = RegisterForm()
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(url_for("accounts.check_your_email"))
        # Registering sends an email whether or not the address is new: limit it like others.
        ratelimit.count_email_request(form.email.data)
        with answering(form):
            service.register(
                db.session,
                email=form.email.data,
                password=form.password.data,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                government_domains=app_settings().government_email_domains,
            )
            return redirect(url_for("accounts.check_your_email"))
    return form_page("pages/accounts/register.html", form=form)


@accounts.get("/register/check-your-email")
@unit_of_work
def check_your_email():
    """Say a confirmation link is on its way."""
    return render_template("pages/accounts/check_your_email.html")


@accounts.get("/confirm-email/<token>")
@unit_of_work
def confirm_email(token: str):
    """Confirm an address from the link in the confirmation email."""
    with answering(answers={service.LinkNotValid: _link_not_valid}):
        user = service.confirm_email(db.session, token=token, secret_key=_secret())
    asked = joined = []
    if user.role == Role.ORGANISATION_MEMBER:
        asked = memberships.own_pending_join_requests(db.session, user.id)
        joined = memberships.organisations_of(db.session, user.id)
    return render_template("pages/accounts/email_confirmed.html", asked=asked, joined=joined)


@accounts.route("/sign-in", methods=["GET", "POST"], endpoint="sign_in")
@unit_of_work
def sign_in_page():
    """Sign in with email address and password."""
    form = SignInForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        email = form.email.data
        ratelimit.check_sign_in(email)
        user = service.authenticate(db.session, email, form.password.data)
        if user is None:
            ratelimit.failed_sign_in(email)
            add_errors(
                form,
                {"email": "Enter the email address and password you used when you registered"},
            )
        elif user.email_confirmed_at is None:
            session.clear()
            session[_UNCONFIRMED] = user.id
            return redirect(url_for("accounts.unconfirmed"))
        else:
            ratelimit.succeeded_sign_in(email)
            service.record_sign_in(db.session, user)
            sign_in(user)
            return redirect(safe_next(next_url, _home_for(user.role)))
    return form_page("pages/accounts/sign_in.html", form=form)


@accounts.route("/sign-in/confirm-your-email", methods=["GET", "POST"])
@unit_of_work
def unconfirmed():
    """Tell someone who has not confirmed their address yet, and offer another link."""
    user_id = session.get(_UNCONFIRMED)
    if user_id is None:
        return redirect(url_for("accounts.sign_in"))
    if request.method == "POST":
        user = db.session.get(User, user_id)
        if user is not None:
            ratelimit.count_email_request(user.email)
        service.resend_confirmation(db.session, user_id)
        flash("We have sent you a new link", "success")
        return redirect(url_for("accounts.unconfirmed"))
    return render_template("pages/accounts/unconfirmed.html")


@accounts.post("/sign-out", endpoint="sign_out")
@unit_of_work
def sign_out_page():
    """Sign out of this browser, and end the session on the server."""
    sign_out()
    flash("You have signed out", "success")
    return redirect(url_for("public.home"))


@accounts.route("/reset-password", methods=["GET", "POST"])
@unit_of_work
def reset_password():
    """Ask for a password-reset link; the answer is the same whether the account exists."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        ratelimit.count_email_request(form.email.data)
        service.request_password_reset(db.session, form.email.data)
        return redirect(url_for("accounts.reset_link_sent"))
    return form_page("pages/accounts/reset_password.html", form=form)


@accounts.get("/reset-password/check-your-email")
@unit_of_work
def reset_link_sent():
    """Say a reset link is on its way if the address has an account."""
    return render_template("pages/accounts/reset_link_sent.html")


@accounts.route("/reset-password/<token>", methods=["GET", "POST"])
@unit_of_work
def new_password(token: str):
    """Choose a new password through the link in a reset email."""
    with answering(answers={service.LinkNotValid: _link_not_valid}):
        service.user_for_reset(db.session, token=token, secret_key=_secret())
    form = NewPasswordForm()
    if form.validate_on_submit():
        with answering(form):
            service.reset_password(
                db.session, token=token, secret_key=_secret(), new_password=form.password.data
            )
            sign_out()
            flash("Your password has been changed. Sign in with your new password", "success")
            return redirect(url_for("accounts.sign_in"))
    return form_page("pages/accounts/new_password.html", form=form)


@accounts.get("/account")
@login_required
@unit_of_work
def account():
    """Show the account's details and what can be done with them."""
    return render_template("pages/accounts/account.html")


@accounts.route("/account/password", methods=["GET", "POST"])
@login_required
@unit_of_work
def account_password():
    """Change the password; other browsers signed in to the account are signed out."""
    user = get_current_user()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with answering(form):
            service.change_password(
                db.session,
                user_id=user.id,
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            )
            refresh_sign_in(user)
            flash("Your password has been changed", "success")
            return redirect(url_for("accounts.account"))
    return form_page("pages/accounts/change_password.html", form=form)


@accounts.route("/account/email", methods=["GET", "POST"])
@login_required
@unit_of_work
def account_email():
    """Ask to change the email address; the new one must be confirmed by link."""
    user = get_current_user()
    form = ChangeEmailForm()
    if form.validate_on_submit():
        with answering(form):
            service.request_email_change(
                db.session,
                user_id=user.id,
                password=form.password.data,
                new_email=form.email.data,
                government_domains=app_settings().government_email_domains,
            )
            flash("We have sent a link to your new email address. Follow it to confirm the change")
            return redirect(url_for("accounts.account"))
    return form_page("pages/accounts/change_email.html", form=form)


@accounts.get("/account/email/confirm/<token>")
@unit_of_work
def account_email_confirm(token: str):
    """Move the account to the new address from the link sent to it."""
    with answering(answers={service.LinkNotValid: _link_not_valid}):
        service.confirm_email_change(db.session, token=token, secret_key=_secret())
    flash("Your email address has been changed", "success")
    return redirect(url_for("accounts.account"))


@accounts.get("/account/data")
@login_required
@unit_of_work
def account_data():
    """Download everything the service holds about the signed-in person, as JSON."""
    data = export_personal_data(db.session, get_current_user().id)
    filename = f"matcher-your-data-{utcnow().date().isoformat()}.json"
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@accounts.route("/account/delete", methods=["GET", "POST"])
@login_required
@unit_of_work
def account_delete():
    """Confirm, then delete the account and everything attached to it."""
    if request.method == "POST":
        service.delete_account(db.session, user_id=get_current_user().id)
        sign_out()
        return redirect(url_for("accounts.account_deleted"))
    return render_template("pages/accounts/delete.html")


@accounts.get("/account/deleted")
@unit_of_work
def account_deleted():
    """Confirm the account is gone."""
    return render_template("pages/accounts/deleted.html")
