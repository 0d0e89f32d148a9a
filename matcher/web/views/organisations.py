"""The organisation member's side: choose or propose an organisation, members, invitations."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from matcher.extensions import db
from matcher.models import Invitation, Membership, MembershipRole, Role, User, VerificationStatus
from matcher.services import memberships as service
from matcher.services.errors import InvalidState, NotFound, NotPermitted, ServiceError
from matcher.services.organisation_queries import pending_invitation
from matcher.services.validation import ValidationFailed
from matcher.web.auth import get_current_user, login_required, roles_required
from matcher.web.forms import add_errors, options
from matcher.web.forms.organisations import (
    KIND_NAMES,
    ROLE_NAMES,
    ButtonForm,
    InviteForm,
    JoinForm,
    ProposeForm,
    RoleForm,
)
from matcher.web.once import first_submission
from matcher.web.refusals import refuse

organisations = Blueprint("organisations", __name__)

INVALID = 422
member_only = roles_required(Role.ORGANISATION_MEMBER)


def current_membership() -> Membership | None:
    """The signed-in member's membership: the first organisation they joined."""
    found = service.organisations_of(db.session, get_current_user().id)
    return found[0] if found else None


def _page(template: str, form: Any = None, **context: Any) -> tuple[str, int]:
    status = INVALID if form is not None and form.errors else 200
    return render_template(template, form=form, **context), status


def _admin_membership() -> Membership:
    membership = current_membership()
    if membership is None:
        return redirect(url_for("organisations.mine"))  # type: ignore[return-value]
    if membership.role != MembershipRole.ADMIN:
        abort(403)
    return membership


@organisations.get("/organisation")
@member_only
def mine():
    """Show the member's organisation, or let them choose or propose one."""
    membership = current_membership()
    if membership is None:
        joinable = service.joinable_organisations(db.session, get_current_user().id)
        form = JoinForm()
        form.organisation_id.choices = options((o.id, o.name) for o in joinable)
        return render_template("pages/organisations/choose.html", form=form, joinable=joinable)
    return render_template(
        "pages/organisations/mine.html",
        membership=membership,
        organisation=membership.organisation,
        kind_names=KIND_NAMES,
        verified=membership.organisation.status == VerificationStatus.VERIFIED,
    )


@organisations.post("/organisation/join")
@member_only
def join():
    """Join one of the verified organisations the member's email domain belongs to."""
    user = get_current_user()
    joinable = service.joinable_organisations(db.session, user.id)
    form = JoinForm()
    form.organisation_id.choices = options((o.id, o.name) for o in joinable)
    if form.validate_on_submit():
        try:
            membership = service.join_organisation(
                db.session, user.id, int(form.organisation_id.data)
            )
        except (NotFound, NotPermitted) as error:
            refuse(error)
        except InvalidState:
            db.session.rollback()
            add_errors(form, {"organisation_id": "This organisation is not verified yet"})
        else:
            name = membership.organisation.name
            db.session.commit()
            flash(f"You have joined {name}", "success")
            return redirect(url_for("organisations.mine"))
    return _page("pages/organisations/choose.html", form=form, joinable=joinable)


@organisations.route("/organisation/propose", methods=["GET", "POST"])
@member_only
def propose():
    """Propose an organisation that is not in the list; an administrator verifies it."""
    if current_membership() is not None:
        return redirect(url_for("organisations.mine"))
    form = ProposeForm()
    form.prepare(db.session)
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(url_for("organisations.mine"))
        try:
            service.propose_organisation(
                db.session,
                get_current_user().id,
                name=form.name.data,
                kind=form.kind.data,
                region_code=form.region_code.data or None,
                email_domain=form.email_domain.data or None,
                ons_code=form.ons_code.data or None,
            )
        except ValidationFailed as failed:
            db.session.rollback()
            add_errors(form, failed.errors)
        except ServiceError as error:
            refuse(error)
        else:
            db.session.commit()
            flash("Your organisation has been proposed. We will check it and email you", "success")
            return redirect(url_for("organisations.mine"))
    return _page(
        "pages/organisations/propose.html", form=form, back_url=url_for("organisations.mine")
    )


@organisations.get("/organisation/members")
@member_only
def members():
    """List the organisation's members and pending invitations (its administrators only)."""
    membership = _admin_membership()
    if not isinstance(membership, Membership):
        return membership
    user_id = get_current_user().id
    try:
        people = service.list_members(db.session, user_id, membership.organisation_id)
        pending = service.list_pending_invitations(db.session, user_id, membership.organisation_id)
    except ServiceError as error:
        refuse(error)
    users = {
        u.id: u for u in db.session.query(User).filter(User.id.in_([m.user_id for m in people]))
    }
    return render_template(
        "pages/organisations/members.html",
        organisation=membership.organisation,
        me=membership,
        people=[(m, users[m.user_id]) for m in people],
        pending=pending,
        role_names=ROLE_NAMES,
        button=ButtonForm(),
    )


@organisations.route("/organisation/members/invite", methods=["GET", "POST"])
@member_only
def invite():
    """Invite a colleague by email; they get a link to join."""
    membership = _admin_membership()
    if not isinstance(membership, Membership):
        return membership
    form = InviteForm()
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(url_for("organisations.members"))
        try:
            service.invite_member(
                db.session,
                get_current_user().id,
                membership.organisation_id,
                form.email.data,
                MembershipRole(form.role.data),
            )
        except ValidationFailed as failed:
            db.session.rollback()
            add_errors(form, failed.errors)
        except ServiceError as error:
            refuse(error)
        else:
            db.session.commit()
            flash(f"We have sent an invitation to {form.email.data.lower()}", "success")
            return redirect(url_for("organisations.members"))
    return _page(
        "pages/organisations/invite.html", form=form, back_url=url_for("organisations.members")
    )


@organisations.post("/organisation/invitations/<int:invitation_id>/revoke")
@member_only
def revoke(invitation_id: int):
    """Cancel a pending invitation so its link stops working."""
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        invitation = service.revoke_invitation(db.session, get_current_user().id, invitation_id)
    except InvalidState:
        db.session.rollback()
        flash("That invitation had already been accepted or cancelled")
        return redirect(url_for("organisations.members"))
    except ServiceError as error:
        refuse(error)
    email = invitation.email
    db.session.commit()
    flash(f"The invitation to {email} has been cancelled", "success")
    return redirect(url_for("organisations.members"))


def _membership_in_my_organisation(membership_id: int) -> tuple[Membership, User]:
    """A membership of the admin's own organisation; 404 for any other."""
    mine = _admin_membership()
    if not isinstance(mine, Membership):
        abort(404)
    other = db.session.get(Membership, membership_id)
    if other is None or other.organisation_id != mine.organisation_id:
        abort(404)
    return other, db.session.get(User, other.user_id)  # type: ignore[return-value]


@organisations.route("/organisation/members/<int:membership_id>/remove", methods=["GET", "POST"])
@member_only
def remove(membership_id: int):
    """Confirm, then remove a member from the organisation."""
    _, person = _membership_in_my_organisation(membership_id)
    form = ButtonForm()
    error = None
    if form.validate_on_submit():
        name = person.display_name
        try:
            service.remove_member(db.session, get_current_user().id, membership_id)
        except InvalidState:
            db.session.rollback()
            error = (
                "You cannot remove the last administrator. Make someone else an administrator first"
            )
        except ServiceError as failure:
            refuse(failure)
        else:
            db.session.commit()
            flash(f"{name} has been removed", "success")
            return redirect(url_for("organisations.members"))
    page = render_template(
        "pages/organisations/remove.html",
        form=form,
        person=person,
        error=error,
        back_url=url_for("organisations.members"),
    )
    return page, 409 if error else 200


@organisations.route("/organisation/members/<int:membership_id>/role", methods=["GET", "POST"])
@member_only
def change_role(membership_id: int):
    """Make a member an administrator, or an administrator an ordinary member."""
    membership, person = _membership_in_my_organisation(membership_id)
    form = RoleForm(data={"role": membership.role.value})
    if form.validate_on_submit():
        try:
            service.change_member_role(
                db.session, get_current_user().id, membership_id, MembershipRole(form.role.data)
            )
        except InvalidState:
            db.session.rollback()
            add_errors(
                form,
                {"role": "Make someone else an administrator before you change this role"},
            )
        except ServiceError as failure:
            refuse(failure)
        else:
            db.session.commit()
            flash(f"{person.display_name}'s role has been changed", "success")
            return redirect(url_for("organisations.members"))
    return _page(
        "pages/organisations/role.html",
        form=form,
        person=person,
        back_url=url_for("organisations.members"),
    )


@organisations.route("/invitations/<token>", methods=["GET", "POST"])
@login_required
def accept_invitation(token: str):
    """Accept an invitation to join an organisation, from the link in the email."""
    form = ButtonForm()
    invitation = _invitation_for(token)
    if invitation is None:
        return render_template("pages/organisations/invitation_not_valid.html"), 404
    if form.validate_on_submit():
        try:
            membership = service.accept_invitation(db.session, get_current_user().id, token)
        except InvalidState:
            db.session.rollback()
            return render_template("pages/organisations/invitation_not_valid.html"), 409
        except NotPermitted:
            db.session.rollback()
            return render_template(
                "pages/organisations/invitation_not_valid.html", other_person=True
            ), 403
        except ServiceError as error:
            refuse(error)
        name = membership.organisation.name
        db.session.commit()
        flash(f"You have joined {name}", "success")
        return redirect(url_for("organisations.mine"))
    return render_template(
        "pages/organisations/accept.html", form=form, organisation=invitation.organisation
    )


def _invitation_for(token: str) -> Invitation | None:
    """The invitation a link names, if it is still pending and the link is genuine."""
    return pending_invitation(db.session, token)
