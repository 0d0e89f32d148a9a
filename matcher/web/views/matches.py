"""A civil servant's matches and interests: "Your matches", "Your interests", one interest.

Views are thin: check the form, call the interest service, commit, and say what happened in a
notification banner. Service errors roll back: NotFound is a 404 page, NotPermitted a 403 page,
InvalidState a banner that says in plain English why nothing changed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from matcher.extensions import db
from matcher.models import Interest, Placement, Role
from matcher.reasons import describe_reasons
from matcher.services import interests as service
from matcher.services import match_queries
from matcher.services.errors import InvalidState, NotFound, NotPermitted
from matcher.services.interests import Action, Side
from matcher.web.auth import get_current_user, login_required, roles_required
from matcher.web.forms.actions import ActionForm
from matcher.web.once import first_submission
from matcher.web.wording import (
    VERBS,
    one_time_token,
    page_number,
    pagination,
    status_tag,
    when,
)

matches = Blueprint("matches", __name__)

PER_PAGE = 10
PERSON_ACTIONS = {Action.ACCEPT, Action.DECLINE, Action.WITHDRAW}
# Leaving a process is final, so these ask "Are you sure?" first.
CONFIRM_FIRST = {Action.DECLINE, Action.WITHDRAW, Action.REJECT}


matches.add_app_template_global(status_tag, "status_tag")
matches.add_app_template_global(one_time_token, "one_time_token")
matches.add_app_template_global(when, "when")


def refusal(error: Exception) -> None:
    """Turn NotFound and NotPermitted into error pages; return for InvalidState."""
    if isinstance(error, NotFound):
        abort(404)
    if isinstance(error, NotPermitted):
        abort(403)


def why_not(error: InvalidState, interest: Interest | None, action: Action) -> str:
    """A plain-English reason an action on an interest was refused."""
    message = str(error)
    if "no places left" in message:
        return "There are no places left on this placement, so nothing has changed"
    if interest is not None:
        db.session.refresh(interest)
        if (interest.status, action) not in service.TRANSITIONS:
            words = status_tag(interest.status)["text"].lower()
            return f"You cannot {VERBS[action]} this interest because it is {words}"
    return "This placement is no longer open, so nothing has changed"


@matches.get("/matches")
@roles_required(Role.CIVIL_SERVANT)
def your_matches() -> Any:
    """Open placements matched with the person, best first, with the reasons why."""
    user = get_current_user()
    profile = user.profile
    if profile is None or profile.completed_at is None:
        return render_template("pages/matches/matches.html", state="incomplete", rows=[])
    page = page_number()
    result = match_queries.matches_for_person(db.session, user.id, page=page, per_page=PER_PAGE)
    if result.total and page > result.pages:
        return redirect(url_for("matches.your_matches", page=result.pages))
    if not result.total:
        state = "none" if match_queries.matched_since(db.session, profile) else "finding"
        return render_template("pages/matches/matches.html", state=state, rows=[])
    themes, skills = match_queries.taxonomy_names(db.session, [row.reasons for row in result.items])
    rows = [
        {
            "placement": row.placement,
            "reasons": describe_reasons(row.reasons, themes, skills, grade_fits=True),
            "interest": row.interest,
        }
        for row in result.items
    ]
    return render_template(
        "pages/matches/matches.html",
        state="matches",
        rows=rows,
        result=result,
        pagination=pagination(page, result.pages, "matches.your_matches"),
    )


def _placement_title(placement_id: int) -> str:
    placement = db.session.get(Placement, placement_id)
    return placement.title if placement else "the placement"


@matches.post("/matches/<int:placement_id>/interested")
@roles_required(Role.CIVIL_SERVANT)
def interested(placement_id: int) -> Response:
    """Say "I'm interested" in a placement; the organisation is told by email."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    user = get_current_user()
    if not first_submission(form):
        return redirect(url_for("matches.your_interests"))
    try:
        interest = service.express_interest(db.session, user.id, placement_id)
    except (NotFound, NotPermitted, InvalidState) as error:
        db.session.rollback()
        refusal(error)
        flash(
            f"You cannot say you are interested in {_placement_title(placement_id)}: "
            "it is closed, or you said it is not for you"
        )
        return redirect(url_for("matches.your_matches"))
    db.session.commit()
    flash(
        f"You are interested in {_placement_title(placement_id)}. We have told the organisation",
        "success",
    )
    return redirect(url_for("matches.interest", interest_id=interest.id))


@matches.post("/matches/<int:placement_id>/not-for-me")
@roles_required(Role.CIVIL_SERVANT)
def not_for_me(placement_id: int) -> Response:
    """Say a placement is not for the person: it leaves their matches for good."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    user = get_current_user()
    if not first_submission(form):
        return redirect(url_for("matches.your_matches"))
    title = _placement_title(placement_id)
    try:
        service.dismiss(db.session, user.id, placement_id)
    except (NotFound, NotPermitted, InvalidState) as error:
        db.session.rollback()
        refusal(error)
        flash(
            f"You are interested in {title}. Withdraw your interest first "
            "if it is not for you any more"
        )
        return redirect(url_for("matches.your_matches"))
    db.session.commit()
    flash(f"We will not show you {title} again", "success")
    return redirect(url_for("matches.your_matches"))


@matches.get("/interests")
@roles_required(Role.CIVIL_SERVANT)
def your_interests() -> str:
    """The person's interests with their status, and invitations from organisations."""
    user = get_current_user()
    mine = service.list_my_interests(db.session, user.id)
    invitations = service.list_invitations_to_me(db.session, user.id)
    placements = {
        p.id: p
        for p in db.session.scalars(
            db.select(Placement).where(
                Placement.id.in_(
                    {i.placement_id for i in mine} | {i.placement_id for i in invitations}
                )
            )
        )
    }
    return render_template(
        "pages/matches/interests.html",
        interests=mine,
        invitations=invitations,
        placements=placements,
    )


@matches.get("/interests/<int:interest_id>")
@login_required
def interest(interest_id: int) -> str:
    """One interest: where it stands, its history and what the viewer may do next."""
    user = get_current_user()
    try:
        found = service.get_interest(db.session, user.id, interest_id)
        history = service.interest_history(db.session, user.id, interest_id)
        actions = service.allowed_actions(db.session, user.id, interest_id)
    except (NotFound, NotPermitted) as error:
        refusal(error)
        raise
    placement = db.session.get(Placement, found.placement_id)
    names = match_queries.names_of(db.session, [t.actor_id for t in history] + [found.person_id])
    side = Side.PERSON if found.person_id == user.id else Side.ORGANISATION
    if side == Side.PERSON:
        person, contact = None, match_queries.offer_contact(db.session, user.id, found.id)
    else:
        person, contact = match_queries.interested_person(db.session, user.id, found.id), None
    return render_template(
        "pages/matches/interest.html",
        interest=found,
        placement=placement,
        history=history,
        names=names,
        actions=[a.value for a in actions],
        side=side.value,
        person_name=names.get(found.person_id, "The person"),
        person=person,
        contact=contact,
    )


def _person_interest(interest_id: int) -> Interest:
    """The signed-in person's own interest; 404 for anyone else's."""
    user = get_current_user()
    try:
        found = service.get_interest(db.session, user.id, interest_id)
    except (NotFound, NotPermitted) as error:
        refusal(error)
        raise
    if found.person_id != user.id:
        abort(403)
    return found


@matches.route("/interests/<int:interest_id>/<action>", methods=["GET", "POST"])
@login_required
def person_action(interest_id: int, action: str) -> Any:
    """Accept or decline an offer, or withdraw; decline and withdraw are confirmed first."""
    try:
        chosen = Action(action)
    except ValueError:
        abort(404)
    if chosen not in PERSON_ACTIONS:
        abort(404)
    found = _person_interest(interest_id)
    placement = db.session.get(Placement, found.placement_id)
    assert placement is not None
    form = ActionForm()
    if not form.is_submitted():
        if chosen not in CONFIRM_FIRST:
            abort(405)
        return render_template(
            f"pages/matches/confirm_{chosen.value}.html",
            interest=found,
            placement=placement,
            form=form,
        )
    if not form.validate():
        abort(400)
    if not first_submission(form):
        return redirect(url_for("matches.interest", interest_id=found.id))
    try:
        service.transition(db.session, get_current_user().id, found.id, chosen)
    except (NotFound, NotPermitted, InvalidState) as error:
        db.session.rollback()
        refusal(error)
        assert isinstance(error, InvalidState)
        flash(why_not(error, found, chosen))
        return redirect(url_for("matches.interest", interest_id=interest_id))
    db.session.commit()
    done = {
        Action.ACCEPT: f"You have accepted the offer of {placement.title}",
        Action.DECLINE: f"You have declined the offer of {placement.title}",
        Action.WITHDRAW: f"You have withdrawn your interest in {placement.title}",
    }
    flash(done[chosen], "success")
    return redirect(url_for("matches.interest", interest_id=found.id))
