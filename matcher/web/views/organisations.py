"""The organisation member's side: choose, join or propose an organisation, members,
invitations, join requests, and which of their organisations a member acts for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask import session as cookie
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

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
from matcher.services.errors import InvalidState, NotPermitted
from matcher.services.organisation_queries import pending_invitation, verified_organisations
from matcher.web.auth import get_current_user, login_required, roles_required, signed_in_user
from matcher.web.forms import UNKNOWN_ID, options, submitted_id
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
from matcher.web.membership import CURRENT_ORGANISATION, current_membership, member_only
from matcher.web.once import first_submission
from matcher.web.pages import form_page
from matcher.web.unit_of_work import Tell, answering, unit_of_work

organisations = Blueprint("organisations", __name__)

# Join requests are decided by the organisation's administrators, or by a platform
# administrator while it has none; the service tells which.
deciders_only = roles_required(Role.ORGANISATION_MEMBER, Role.ADMINISTRATOR)


def _admin_membership() -> Membership:
    membership = current_membership()
    if membership is None:
        return redirect(url_for("organisations.mine"))  # type: ignore[return-value]
    if membership.role != MembershipRole.ADMIN:
        abort(403)
    return membership


@organisations.get("/organisation")
@member_only
@unit_of_work
def mine():
    """Show the member's organisation, or let them choose or propose one."""
    user_id = signed_in_user().id
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
    asked = service.own_pending_join_requests(db.session, signed_in_user().id)
    return form_page("pages/organisations/choose.html", form=form, joinable=joinable, asked=asked)


@organisations.post("/organisation/join")
@member_only
@unit_of_work
def join():
    """Join one of the verified organisations the member's email domain belongs to."""
    user = get_current_user()
    joinable = service.joinable_organisations(db.session, user.id)
    form = JoinForm()
    form.organisation_id.choices = options((o.id, o.name) for o in joinable)
    if form.validate_on_submit():
        not_verified = {"organisation_id": "This organisation is not verified yet"}
        with answering(form, {InvalidState: not_verified}):
            joined = service.join_organisation(
                db.session, user.id, submitted_id(form.organisation_id.data) or UNKNOWN_ID
            )
            if isinstance(joined, JoinRequest):
                # Its administrators decide; the request's page says so.
                return redirect(url_for("organisations.join_request", join_request_id=joined.id))
            flash(f"You have joined {joined.organisation.name}", "success")
            return redirect(url_for("organisations.mine"))
    return _choose_page(form, joinable)


@organisations.route("/organisation/ask-to-join", methods=["GET", "POST"])
@member_only
@unit_of_work
def ask_to_join():
    """Ask any verified organisation to let the member join, with a short message."""
    form = AskToJoinForm()
    form.prepare(verified_organisations(db.session))
    if form.validate_on_submit():
        with answering(form):
            # Asking twice returns the pending request, so a second press of the button, or
            # a second tab, needs no one-time token to leave one request.
            join_request = service.request_to_join(
                db.session,
                signed_in_user().id,
                submitted_id(form.organisation_id.data),
                form.message.data or "",
            )
            return redirect(url_for("organisations.join_request", join_request_id=join_request.id))
    return form_page(
        "pages/organisations/ask.html",
        form=form,
        back_url=url_for("organisations.mine"),
        message_max=service.MESSAGE_MAX,
    )


@organisations.get("/organisation/join-requests/<int:join_request_id>")
@member_only
@unit_of_work
def join_request(join_request_id: int):
    """The member's own request to join: waiting, approved, declined or withdrawn."""
    found = service.own_join_request(db.session, signed_in_user().id, join_request_id)
    return render_template(
        "pages/organisations/join_request.html", join_request=found, statuses=JoinRequestStatus
    )


@organisations.route(
    "/organisation/join-requests/<int:join_request_id>/withdraw", methods=["GET", "POST"]
)
@member_only
@unit_of_work
def withdraw_join_request(join_request_id: int):
    """Confirm, then withdraw the member's own pending request to join."""
    user_id = signed_in_user().id
    found = service.own_join_request(db.session, user_id, join_request_id)
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
    decided = Tell(f"{name} has already decided your request, so it cannot be withdrawn", back)
    with answering(answers={InvalidState: decided}):
        service.withdraw_join_request(db.session, user_id, join_request_id)
    flash(f"You have withdrawn your request to join {name}", "success")
    return redirect(url_for("organisations.mine"))


def _for_deciders(join_request_id: int) -> tuple[Any, User]:
    return service.join_request_for_deciders(db.session, signed_in_user().id, join_request_id)


def _requests_list_url() -> str:
    """Where a decider's list of join requests is: the admin area or the members page."""
    if signed_in_user().role == Role.ADMINISTRATOR:
        return url_for("admin.join_requests")
    return url_for("organisations.members")


@organisations.get("/join-requests/<int:join_request_id>")
@deciders_only
@unit_of_work
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
    decided = Tell(
        "This request has already been decided or withdrawn, so nothing has changed", review
    )
    with answering(answers={InvalidState: decided}):
        decide(db.session, signed_in_user().id, join_request_id)
    return redirect(review)


@organisations.post("/join-requests/<int:join_request_id>/approve")
@deciders_only
@unit_of_work
def approve_join_request(join_request_id: int):
    """Let the requester join as a member; they are told by email."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return _decide_join_request(form, join_request_id, service.approve_join_request)


@organisations.route("/join-requests/<int:join_request_id>/decline", methods=["GET", "POST"])
@deciders_only
@unit_of_work
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
@unit_of_work
def your_organisations():
    """The member's organisations, to choose which one to act for, and their join requests."""
    user_id = signed_in_user().id
    mine = service.organisations_of(db.session, user_id)
    current = current_membership()
    form = ChooseOrganisationForm(
        data={"organisation_id": str(current.organisation_id)} if current else None
    )
    form.organisation_id.choices = options(
        (m.organisation_id, f"{m.organisation.name} ({ROLE_NAMES[m.role].lower()})") for m in mine
    )
    if form.validate_on_submit():
        organisation_id = submitted_id(form.organisation_id.data)
        if not organisation_id:
            abort(400)
        chosen = service.choose_organisation(db.session, user_id, organisation_id)
        cookie[CURRENT_ORGANISATION] = chosen.organisation_id
        flash(f"You are now acting for {chosen.organisation.name}", "success")
        return redirect(url_for("organisations.mine"))
    return form_page(
        "pages/organisations/yours.html",
        form=form,
        memberships=mine,
        asked=service.own_pending_join_requests(db.session, user_id),
    )


@organisations.route("/organisation/propose", methods=["GET", "POST"])
@member_only
@unit_of_work
def propose():
    """Propose an organisation that is not in the list; an administrator verifies it."""
    if current_membership() is not None:
        return redirect(url_for("organisations.mine"))
    form = ProposeForm()
    form.prepare(db.session)
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(url_for("organisations.mine"))
        with answering(form):
            service.propose_organisation(
                db.session,
                signed_in_user().id,
                name=form.name.data,
                kind=form.kind.data,
                region_code=form.region_code.data or None,
                email_domain=form.email_domain.data or None,
                ons_code=form.ons_code.data or None,
            )
            flash("Your organisation has been proposed. We will check it and email you", "success")
            return redirect(url_for("organisations.mine"))
    return form_page(
        "pages/organisations/propose.html", form=form, back_url=url_for("organisations.mine")
    )


@organisations.get("/organisation/members")
@member_only
@unit_of_work
def members():
    """List the organisation's members for every member; its administrators also see pending
    invitations and requests to join, and the controls to change them."""
    membership = current_membership()
    if membership is None:
        return redirect(url_for("organisations.mine"))
    user_id = signed_in_user().id
    organisation_id = membership.organisation_id
    is_admin = membership.role == MembershipRole.ADMIN
    people = service.list_members(db.session, user_id, organisation_id)
    pending = (
        service.list_pending_invitations(db.session, user_id, organisation_id) if is_admin else []
    )
    asking = service.pending_join_requests(db.session, user_id, organisation_id) if is_admin else []
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
@unit_of_work
def invite():
    """Invite a colleague by email; they get a link to join."""
    membership = _admin_membership()
    if not isinstance(membership, Membership):
        return membership
    form = InviteForm()
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(url_for("organisations.members"))
        with answering(form):
            service.invite_member(
                db.session,
                signed_in_user().id,
                membership.organisation_id,
                form.email.data,
                MembershipRole(form.role.data),
            )
            flash(f"We have sent an invitation to {form.email.data.lower()}", "success")
            return redirect(url_for("organisations.members"))
    return form_page(
        "pages/organisations/invite.html", form=form, back_url=url_for("organisations.members")
    )


@organisations.post("/organisation/invitations/<int:invitation_id>/revoke")
@member_only
@unit_of_work
def revoke(invitation_id: int):
    """Cancel a pending invitation so its link stops working."""
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    gone = Tell(
        "That invitation had already been accepted or cancelled", url_for("organisations.members")
    )
    with answering(answers={InvalidState: gone}):
        invitation = service.revoke_invitation(db.session, signed_in_user().id, invitation_id)
    flash(f"The invitation to {invitation.email} has been cancelled", "success")
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
@unit_of_work
def remove(membership_id: int):
    """Confirm, then remove a member from the organisation."""
    _, person = _membership_in_my_organisation(membership_id)
    form = ButtonForm()

    def remove_page(error: str | None = None) -> tuple[str, int]:
        page = render_template(
            "pages/organisations/remove.html",
            form=form,
            person=person,
            error=error,
            back_url=url_for("organisations.members"),
        )
        return page, 409 if error else 200

    if form.validate_on_submit():
        name = person.display_name
        last_admin = (
            "You cannot remove the last administrator. Make someone else an administrator first"
        )
        with answering(answers={InvalidState: lambda _: remove_page(last_admin)}):
            service.remove_member(db.session, signed_in_user().id, membership_id)
        flash(f"{name} has been removed", "success")
        return redirect(url_for("organisations.members"))
    return remove_page()


@organisations.route("/organisation/members/<int:membership_id>/role", methods=["GET", "POST"])
@member_only
@unit_of_work
def change_role(membership_id: int):
    """Make a member an administrator, or an administrator an ordinary member."""
    membership, person = _membership_in_my_organisation(membership_id)
    form = RoleForm(data={"role": membership.role.value})
    if form.validate_on_submit():
        last_admin = {"role": "Make someone else an administrator before you change this role"}
        with answering(form, {InvalidState: last_admin}):
            service.change_member_role(
                db.session, signed_in_user().id, membership_id, MembershipRole(form.role.data)
            )
            flash(f"{person.display_name}'s role has been changed", "success")
            return redirect(url_for("organisations.members"))
    return form_page(
        "pages/organisations/role.html",
        form=form,
        person=person,
        back_url=url_for("organisations.members"),
    )


@organisations.route("/invitations/<token>", methods=["GET", "POST"])
@login_required
@unit_of_work
def accept_invitation(token: str):
    """Accept an invitation to join an organisation, from the link in the email."""
    form = ButtonForm()
    invitation = _invitation_for(token)
    if invitation is None:
        return render_template("pages/organisations/invitation_not_valid.html"), 404
    if form.validate_on_submit():
        not_valid = "pages/organisations/invitation_not_valid.html"
        answers = {
            InvalidState: lambda _: (render_template(not_valid), 409),
            NotPermitted: lambda _: (render_template(not_valid, other_person=True), 403),
        }
        with answering(answers=answers):
            membership = service.accept_invitation(
                db.session, signed_in_user().id, token, secret_key=current_app.config["SECRET_KEY"]
            )
        flash(f"You have joined {membership.organisation.name}", "success")
        return redirect(url_for("organisations.mine"))
    return render_template(
        "pages/organisations/accept.html", form=form, organisation=invitation.organisation
    )


def _invitation_for(token: str) -> Invitation | None:
    """The invitation a link names, if it is still pending and the link is genuine."""
    return pending_invitation(db.session, token, secret_key=current_app.config["SECRET_KEY"])
