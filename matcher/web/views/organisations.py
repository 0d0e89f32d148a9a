"""The organisation member's side: choose, join or propose an organisation, members,
invitations, join requests, and which of their organisations a member acts for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask import session as cookie
from sqlalchemy.orm import Session

from matcher.extensions import db
from matcher.models import (
    Invitation,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MembershipRole,
    Role,
    User,
    VerificationStatus,
)
from matcher.services import memberships as service
from matcher.services.errors import InvalidState, NotFound, NotPermitted, ServiceError
from matcher.services.organisation_queries import pending_invitation, verified_organisations
from matcher.services.validation import ValidationFailed
from matcher.web.auth import get_current_user, login_required, roles_required
from matcher.web.forms import add_errors, options
from matcher.web.forms.actions import ActionForm
from matcher.web.forms.organisations import (
    KIND_NAMES,
    ROLE_NAMES,
    AskToJoinForm,
    ButtonForm,
    ChooseOrganisationForm,
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
# Join requests are decided by the organisation's administrators, or by a platform
# administrator while it has none; the service tells which.
deciders_only = roles_required(Role.ORGANISATION_MEMBER, Role.ADMINISTRATOR)
# The organisation the member chose on "Your organisations", kept in their signed session.
CURRENT_ORGANISATION = "organisation_id"


def current_membership() -> Membership | None:
    """The membership the signed-in member acts through: the organisation they chose last,
    while they are still a member of it, or else the first they joined."""
    found = service.organisations_of(db.session, get_current_user().id)
    chosen = cookie.get(CURRENT_ORGANISATION)
    for membership in found:
        if membership.organisation_id == chosen:
            return membership
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
    user_id = get_current_user().id
    membership = current_membership()
    if membership is None:
        joinable = service.joinable_organisations(db.session, user_id)
        form = JoinForm()
        form.organisation_id.choices = options((o.id, o.name) for o in joinable)
        return _choose_page(form, joinable)
    waiting = []
    if membership.role == MembershipRole.ADMIN:
        waiting = service.pending_join_requests(db.session, user_id, membership.organisation_id)
    return render_template(
        "pages/organisations/mine.html",
        membership=membership,
        organisation=membership.organisation,
        kind_names=KIND_NAMES,
        verified=membership.organisation.status == VerificationStatus.VERIFIED,
        several=len(service.organisations_of(db.session, user_id)) > 1,
        waiting=len(waiting),
        merged=service.merger_notice(membership.organisation),
    )


def _choose_page(form: JoinForm, joinable: list[Any]) -> tuple[str, int]:
    asked = service.own_pending_join_requests(db.session, get_current_user().id)
    return _page("pages/organisations/choose.html", form=form, joinable=joinable, asked=asked)


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
            joined = service.join_organisation(db.session, user.id, int(form.organisation_id.data))
        except (NotFound, NotPermitted) as error:
            refuse(error)
        except InvalidState:
            db.session.rollback()
            add_errors(form, {"organisation_id": "This organisation is not verified yet"})
        else:
            if isinstance(joined, JoinRequest):
                # Its administrators decide; the request's page says so.
                request_id = joined.id
                db.session.commit()
                return redirect(url_for("organisations.join_request", join_request_id=request_id))
            name = joined.organisation.name
            db.session.commit()
            flash(f"You have joined {name}", "success")
            return redirect(url_for("organisations.mine"))
    return _choose_page(form, joinable)


@organisations.route("/organisation/ask-to-join", methods=["GET", "POST"])
@member_only
def ask_to_join():
    """Ask any verified organisation to let the member join, with a short message."""
    form = AskToJoinForm()
    form.prepare(verified_organisations(db.session))
    if form.validate_on_submit():
        try:
            # Asking twice returns the pending request, so a second press of the button, or
            # a second tab, needs no one-time token to leave one request.
            join_request = service.request_to_join(
                db.session,
                get_current_user().id,
                _as_id(form.organisation_id.data),
                form.message.data or "",
            )
        except ValidationFailed as failed:
            db.session.rollback()
            add_errors(form, failed.errors)
        except ServiceError as error:
            refuse(error)
        else:
            request_id = join_request.id
            db.session.commit()
            return redirect(url_for("organisations.join_request", join_request_id=request_id))
    return _page(
        "pages/organisations/ask.html",
        form=form,
        back_url=url_for("organisations.mine"),
        message_max=service.MESSAGE_MAX,
    )


def _as_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@organisations.get("/organisation/join-requests/<int:join_request_id>")
@member_only
def join_request(join_request_id: int):
    """The member's own request to join: waiting, approved, declined or withdrawn."""
    try:
        found = service.own_join_request(db.session, get_current_user().id, join_request_id)
    except ServiceError as error:
        refuse(error)
    return render_template(
        "pages/organisations/join_request.html", join_request=found, statuses=JoinRequestStatus
    )


@organisations.route(
    "/organisation/join-requests/<int:join_request_id>/withdraw", methods=["GET", "POST"]
)
@member_only
def withdraw_join_request(join_request_id: int):
    """Confirm, then withdraw the member's own pending request to join."""
    user_id = get_current_user().id
    try:
        found = service.own_join_request(db.session, user_id, join_request_id)
    except ServiceError as error:
        refuse(error)
    back = url_for("organisations.join_request", join_request_id=join_request_id)
    form = ActionForm()
    if not form.is_submitted():
        if found.status != JoinRequestStatus.PENDING:
            return redirect(back)
        return render_template(
            "pages/organisations/confirm_withdraw.html", join_request=found, back_url=back
        )
    if not form.validate():
        abort(400)
    if not first_submission(form):
        return redirect(url_for("organisations.mine"))
    name = found.organisation.name
    try:
        service.withdraw_join_request(db.session, user_id, join_request_id)
    except InvalidState:
        db.session.rollback()
        flash(f"{name} has already decided your request, so it cannot be withdrawn")
        return redirect(back)
    except ServiceError as error:
        refuse(error)
    db.session.commit()
    flash(f"You have withdrawn your request to join {name}", "success")
    return redirect(url_for("organisations.mine"))


def _for_deciders(join_request_id: int) -> tuple[Any, User]:
    try:
        return service.join_request_for_deciders(db.session, get_current_user().id, join_request_id)
    except ServiceError as error:
        refuse(error)


def _requests_list_url() -> str:
    """Where a decider's list of join requests is: the admin area or the members page."""
    if get_current_user().role == Role.ADMINISTRATOR:
        return url_for("admin.join_requests")
    return url_for("organisations.members")


@organisations.get("/join-requests/<int:join_request_id>")
@deciders_only
def review_join_request(join_request_id: int):
    """A request to join, for those who decide it: approve or decline, or what was decided."""
    found, requester = _for_deciders(join_request_id)
    return render_template(
        "pages/organisations/review_join_request.html",
        join_request=found,
        requester=requester,
        statuses=JoinRequestStatus,
        back_url=_requests_list_url(),
    )


def _decide_join_request(
    form: ActionForm, join_request_id: int, decide: Callable[[Session, int, int], object]
) -> Response:
    """Approve or decline once, then show the request with its outcome."""
    review = url_for("organisations.review_join_request", join_request_id=join_request_id)
    if not first_submission(form):
        return redirect(review)
    try:
        decide(db.session, get_current_user().id, join_request_id)
    except InvalidState:
        db.session.rollback()
        flash("This request has already been decided or withdrawn, so nothing has changed")
        return redirect(review)
    except ServiceError as error:
        refuse(error)
    db.session.commit()
    return redirect(review)


@organisations.post("/join-requests/<int:join_request_id>/approve")
@deciders_only
def approve_join_request(join_request_id: int):
    """Let the requester join as a member; they are told by email."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return _decide_join_request(form, join_request_id, service.approve_join_request)


@organisations.route("/join-requests/<int:join_request_id>/decline", methods=["GET", "POST"])
@deciders_only
def decline_join_request(join_request_id: int):
    """Confirm, then decline a request to join; the requester is told by email."""
    found, requester = _for_deciders(join_request_id)
    review = url_for("organisations.review_join_request", join_request_id=join_request_id)
    form = ActionForm()
    if not form.is_submitted():
        if found.status != JoinRequestStatus.PENDING:
            return redirect(review)
        return render_template(
            "pages/organisations/confirm_decline.html",
            join_request=found,
            requester=requester,
            back_url=review,
        )
    if not form.validate():
        abort(400)
    return _decide_join_request(form, join_request_id, service.decline_join_request)


@organisations.route("/your-organisations", methods=["GET", "POST"])
@member_only
def your_organisations():
    """The member's organisations, to choose which one to act for, and their join requests."""
    user_id = get_current_user().id
    mine = service.organisations_of(db.session, user_id)
    current = current_membership()
    form = ChooseOrganisationForm(
        data={"organisation_id": str(current.organisation_id)} if current else None
    )
    form.organisation_id.choices = options(
        (m.organisation_id, f"{m.organisation.name} ({ROLE_NAMES[m.role].lower()})") for m in mine
    )
    if form.validate_on_submit():
        organisation_id = _as_id(form.organisation_id.data)
        if organisation_id is None:
            abort(400)
        try:
            chosen = service.choose_organisation(db.session, user_id, organisation_id)
        except ServiceError as error:
            refuse(error)
        cookie[CURRENT_ORGANISATION] = chosen.organisation_id
        flash(f"You are now acting for {chosen.organisation.name}", "success")
        return redirect(url_for("organisations.mine"))
    return _page(
        "pages/organisations/yours.html",
        form=form,
        memberships=mine,
        asked=service.own_pending_join_requests(db.session, user_id),
    )


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
    """List the organisation's members for every member; its administrators also see pending
    invitations and requests to join, and the controls to change them."""
    membership = current_membership()
    if membership is None:
        return redirect(url_for("organisations.mine"))
    user_id = get_current_user().id
    organisation_id = membership.organisation_id
    is_admin = membership.role == MembershipRole.ADMIN
    try:
        people = service.list_members(db.session, user_id, organisation_id)
        pending = (
            service.list_pending_invitations(db.session, user_id, organisation_id)
            if is_admin
            else []
        )
        asking = (
            service.pending_join_requests(db.session, user_id, organisation_id) if is_admin else []
        )
    except ServiceError as error:
        refuse(error)
    users = {
        u.id: u for u in db.session.query(User).filter(User.id.in_([m.user_id for m in people]))
    }
    return render_template(
        "pages/organisations/members.html",
        organisation=membership.organisation,
        me=membership,
        is_admin=is_admin,
        people=[(m, users[m.user_id]) for m in people],
        pending=pending,
        asking=asking,
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
