"""A civil servant's matches and interests: "Your matches", "Your interests", one interest.

Views are thin: check the form, call the interest service, and say what happened in a
notification banner. A refusal is answered by ``matcher.web.unit_of_work``: NotFound is a 404
page, NotPermitted a 403 page, InvalidState a banner that says in plain English why nothing
changed.
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
from matcher.services.errors import InvalidState
from matcher.services.interests import Action, Side
from matcher.web.auth import login_required, roles_required, signed_in_user
from matcher.web.forms.actions import ActionForm
from matcher.web.once import first_submission
from matcher.web.pages import page_number, pagination
from matcher.web.unit_of_work import Tell, answering, unit_of_work
from matcher.web.wording import CONFIRM_FIRST, one_time_token, status_tag, when, why_not

matches = Blueprint("matches", __name__)

PER_PAGE = 10
PERSON_ACTIONS = {Action.ACCEPT, Action.DECLINE, Action.WITHDRAW}


matches.add_app_template_global(status_tag, "status_tag")
matches.add_app_template_global(one_time_token, "one_time_token")
matches.add_app_template_global(when, "when")


@matches.get("/matches")
@roles_required(Role.CIVIL_SERVANT)
@unit_of_work
def your_matches() -> Any:
    """Open placements matched with the person, best first, with the reasons why."""
    user = signed_in_user()
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
    sentences = describe_reasons([(row.reasons, row.facts) for row in result.items], themes, skills)
    rows = [
        {
            "placement": row.placement,
            "reasons": reasons,
            "practice": row.practice,
            "interest": row.interest,
        }
        for row, reasons in zip(result.items, sentences, strict=True)
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
@unit_of_work
def interested(placement_id: int) -> Response:
    """Say "I'm interested" in a placement; the organisation is told by email."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    user = signed_in_user()
    if not first_submission(form):
        return redirect(url_for("matches.your_interests"))
    title = _placement_title(placement_id)
    refused = Tell(
        f"You cannot say you are interested in {title}: "
        "it is closed, or you said it is not for you",
        url_for("matches.your_matches"),
    )
    with answering(answers={InvalidState: refused}):
        interest = service.express_interest(db.session, user.id, placement_id)
    flash(f"You are interested in {title}. We have told the organisation", "success")
    return redirect(url_for("matches.interest", interest_id=interest.id))


@matches.post("/matches/<int:placement_id>/not-for-me")
@roles_required(Role.CIVIL_SERVANT)
@unit_of_work
def not_for_me(placement_id: int) -> Response:
    """Say a placement is not for the person: it leaves their matches for good."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    user = signed_in_user()
    if not first_submission(form):
        return redirect(url_for("matches.your_matches"))
    title = _placement_title(placement_id)
    refused = Tell(
        f"You are interested in {title}. Withdraw your interest first "
        "if it is not for you any more",
        url_for("matches.your_matches"),
    )
    with answering(answers={InvalidState: refused}):
        service.dismiss(db.session, user.id, placement_id)
    flash(f"We will not show you {title} again", "success")
    return redirect(url_for("matches.your_matches"))


@matches.get("/interests")
@roles_required(Role.CIVIL_SERVANT)
@unit_of_work
def your_interests() -> str:
    """The person's interests with their status, and invitations from organisations."""
    user = signed_in_user()
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
@unit_of_work
def interest(interest_id: int) -> str:
    """One interest: where it stands, its history and what the viewer may do next."""
    user = signed_in_user()
    found = service.get_interest(db.session, user.id, interest_id)
    history = service.interest_history(db.session, user.id, interest_id)
    actions = service.allowed_actions(db.session, user.id, interest_id)
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
    user = signed_in_user()
    found = service.get_interest(db.session, user.id, interest_id)
    if found.person_id != user.id:
        abort(403)
    return found


@matches.route("/interests/<int:interest_id>/<action>", methods=["GET", "POST"])
@login_required
@unit_of_work
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
    refused = Tell(
        lambda error: why_not(error, found, chosen),
        url_for("matches.interest", interest_id=interest_id),
    )
    with answering(answers={InvalidState: refused}):
        service.transition(db.session, signed_in_user().id, found.id, chosen)
    done = {
        Action.ACCEPT: f"You have accepted the offer of {placement.title}",
        Action.DECLINE: f"You have declined the offer of {placement.title}",
        Action.WITHDRAW: f"You have withdrawn your interest in {placement.title}",
    }
    flash(done[chosen], "success")
    return redirect(url_for("matches.interest", interest_id=found.id))
