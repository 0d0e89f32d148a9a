"""The organisation's side of a placement: interested people, recommended people, decisions.

Access follows ``matcher.services.access``: a placement the viewer may not know about is a
404, one they can see but do not belong to is a 403.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from matcher.extensions import db
from matcher.models import Interest, Placement, User
from matcher.reasons import organisation_sentences
from matcher.services import interests as service
from matcher.services import match_queries
from matcher.services.errors import InvalidState
from matcher.services.interests import TRANSITIONS, Action, Side
from matcher.web.auth import login_required, signed_in_user
from matcher.web.forms.actions import ActionForm, OfferForm
from matcher.web.once import first_submission
from matcher.web.pages import form_page
from matcher.web.unit_of_work import Tell, answering, unit_of_work
from matcher.web.wording import CONFIRM_FIRST, why_not

candidates = Blueprint("candidates", __name__)

# Offering has its own page, for the message that goes with the offer.
ORGANISATION_ACTIONS = {Action.SHORTLIST, Action.REJECT}


def organisation_actions(interest: Interest) -> list[str]:
    """The organisation's next steps for an interest, from the workflow table."""
    return [
        action.value
        for (status, action), (_, side) in TRANSITIONS.items()
        if status == interest.status and side == Side.ORGANISATION
    ]


@candidates.get("/placements/<int:placement_id>/interests")
@login_required
@unit_of_work
def placement_interests(placement_id: int) -> str:
    """People interested in the placement, and discoverable people the engine recommends."""
    user = signed_in_user()
    found = service.list_placement_interests(db.session, user.id, placement_id)
    recommended = match_queries.recommended_people(db.session, user.id, placement_id)
    placement = db.session.get(Placement, placement_id)
    names = match_queries.names_of(db.session, [i.person_id for i in found])
    themes, skills = match_queries.taxonomy_names(
        db.session, [r.match.reasons for r in recommended]
    )
    sentences = organisation_sentences(
        [(r.match.reasons, r.facts) for r in recommended], themes, skills
    )
    return render_template(
        "pages/candidates/placement_interests.html",
        placement=placement,
        interests=[
            {"interest": i, "name": names.get(i.person_id, ""), "actions": organisation_actions(i)}
            for i in found
        ],
        recommended=[
            {"recommendation": r, "reasons": reasons}
            for r, reasons in zip(recommended, sentences, strict=True)
        ],
    )


def _organisation_interest(placement_id: int, interest_id: int) -> Interest:
    """An interest in the placement that the viewer acts on for its organisation."""
    user = signed_in_user()
    found = service.get_interest(db.session, user.id, interest_id)
    if found.placement_id != placement_id:
        abort(404)
    if found.person_id == user.id:
        abort(403)
    return found


@candidates.route(
    "/placements/<int:placement_id>/interests/<int:interest_id>/<action>",
    methods=["GET", "POST"],
)
@login_required
@unit_of_work
def decide(placement_id: int, interest_id: int, action: str) -> Any:
    """Shortlist, offer or turn down an interested person; turning down is confirmed first."""
    try:
        chosen = Action(action)
    except ValueError:
        abort(404)
    if chosen not in ORGANISATION_ACTIONS:
        abort(404)
    found = _organisation_interest(placement_id, interest_id)
    placement = db.session.get(Placement, placement_id)
    person = db.session.get(User, found.person_id)
    assert placement is not None and person is not None
    back = url_for("candidates.placement_interests", placement_id=placement_id)
    form = ActionForm()
    if not form.is_submitted():
        if chosen not in CONFIRM_FIRST:
            abort(405)
        return render_template(
            "pages/candidates/confirm_reject.html",
            interest=found,
            placement=placement,
            person=person,
            form=form,
            back_url=back,
        )
    if not form.validate():
        abort(400)
    if not first_submission(form):
        return redirect(back)
    with answering(answers={InvalidState: Tell(lambda error: why_not(error, found, chosen), back)}):
        service.transition(db.session, signed_in_user().id, found.id, chosen)
    done = {
        Action.SHORTLIST: f"{person.display_name} is on your shortlist for {placement.title}",
        Action.REJECT: f"You have told {person.display_name} they were not successful",
    }
    flash(done[chosen], "success")
    return redirect(back)


@candidates.route(
    "/placements/<int:placement_id>/interests/<int:interest_id>/offer", methods=["GET", "POST"]
)
@login_required
@unit_of_work
def offer(placement_id: int, interest_id: int) -> Any:
    """Offer the placement to a shortlisted person, with a message about what happens next."""
    found = _organisation_interest(placement_id, interest_id)
    placement = db.session.get(Placement, placement_id)
    person = db.session.get(User, found.person_id)
    assert placement is not None and person is not None
    back = url_for("matches.interest", interest_id=found.id)
    form = OfferForm()
    if (found.status, Action.OFFER) not in TRANSITIONS:
        flash(why_not(InvalidState(found.status.value), found, Action.OFFER))
        return redirect(back)
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(back)
        refused = Tell(lambda error: why_not(error, found, Action.OFFER), back)
        with answering(form, {InvalidState: refused}):
            service.offer(db.session, signed_in_user().id, found.id, form.message.data or "")
            flash(f"You have offered {placement.title} to {person.display_name}", "success")
            return redirect(back)
    return form_page(
        "pages/candidates/offer.html",
        form=form,
        interest=found,
        placement=placement,
        person=person,
        back_url=back,
        message_max=service.OFFER_MESSAGE_MAX,
    )


@candidates.post("/placements/<int:placement_id>/recommended/<int:person_id>/invite")
@login_required
@unit_of_work
def invite(placement_id: int, person_id: int) -> Response:
    """Invite a recommended person to express interest; they are told by email."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    back = url_for("candidates.placement_interests", placement_id=placement_id)
    if not first_submission(form):
        return redirect(back)
    refused = Tell(
        "You cannot invite this person: the placement is not open, or they have responded", back
    )
    with answering(answers={InvalidState: refused}):
        service.invite_to_express_interest(db.session, signed_in_user().id, placement_id, person_id)
    # Their name stays hidden until they say they are interested.
    flash("We have invited this person to say if they are interested", "success")
    return redirect(back)
