"""The organisation's side of allocation rounds: offering its placements into a round, ordering
the people who chose them, marking someone unacceptable with a reason and, once results are
published, who is coming and each side's answer; and a CSV file of its places in every round.

Which organisation is acting is the member's current one; the round services refuse any
place that is not that organisation's.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from matcher.extensions import db
from matcher.models import (
    ConfirmationDecision,
    ConfirmationSide,
    PlacementStatus,
    RankingMode,
    RoundState,
)
from matcher.services import round_places as service
from matcher.services.access import load_actor, load_round, load_round_place_for_member
from matcher.services.allocation_results import (
    RESULT_STATES,
    answer_as_organisation,
    coming_to,
    places_offered_by,
)
from matcher.services.messages import message
from matcher.services.placements import list_organisation_placements
from matcher.services.round_queries import rounds_open_to_organisations
from matcher.services.rounds import STATE_WORDS
from matcher.services.validation import ValidationFailed
from matcher.web.auth import signed_in_user
from matcher.web.downloads import csv_download
from matcher.web.forms import UNKNOWN_ID, submitted_id
from matcher.web.forms.actions import ActionForm
from matcher.web.forms.rounds import OfferPlaceForm, UnacceptableForm, whole_number
from matcher.web.membership import current_membership, member_only
from matcher.web.once import first_submission
from matcher.web.pages import form_page
from matcher.web.unit_of_work import answering, told_on, unit_of_work

round_offers = Blueprint("round_offers", __name__, url_prefix="/organisation")

# Enough for any organisation's open placements on one page of radios.
PLACEMENTS_SHOWN = 200


def _organisation_id() -> int:
    membership = current_membership()
    if membership is None:
        abort(redirect(url_for("organisations.mine")))
    return membership.organisation_id


def _round_url(round_id: int) -> str:
    return url_for("round_offers.round_page", round_id=round_id)


@round_offers.get("/rounds")
@member_only
@unit_of_work
def index():
    """Allocation rounds open to organisations, newest first."""
    return render_template(
        "pages/rounds/organisation_rounds.html",
        rounds=rounds_open_to_organisations(db.session, signed_in_user().id),
        state_words=STATE_WORDS,
    )


PLACES_CSV_HEADER = [
    "Round",
    "Scheme",
    "Round is",
    "Placement",
    "Places",
    "Placed person",
    "Their answer",
    "Your answer",
    "Email",
]


@round_offers.get("/rounds/places.csv")
@member_only
@unit_of_work
def places_csv():
    """The organisation's places in every round as a CSV file: a row for each person placed in
    a place once results are published (their address once both sides confirmed), else one."""
    offered = places_offered_by(db.session, signed_in_user().id, _organisation_id())
    rows: list[list[object]] = []
    for item in offered:
        place = [
            item.round.name,
            item.round.scheme.name,
            STATE_WORDS[item.round.state],
            item.place.placement.title,
            item.place.places,
        ]
        rows += [
            [
                *place,
                person.name,
                _answer_words(person.decisions.get(ConfirmationSide.PARTICIPANT)),
                _answer_words(person.decisions.get(ConfirmationSide.ORGANISATION)),
                person.email or "",
            ]
            for person in item.coming
        ] or [[*place, "", "", "", ""]]
    return csv_download("places-in-rounds.csv", PLACES_CSV_HEADER, rows)


def _answer_words(decision: ConfirmationDecision | None) -> str:
    return decision.value if decision else "not yet answered"


@round_offers.get("/rounds/<int:round_id>")
@member_only
@unit_of_work
def round_page(round_id: int):
    """The organisation's places in a round and, once published, who is coming."""
    user_id = signed_in_user().id
    organisation_id = _organisation_id()
    allocation_round = load_round(db.session, load_actor(db.session, user_id), round_id)
    own = [
        place
        for place in service.places_in_round(db.session, user_id, round_id)
        if place.placement.organisation_id == organisation_id
    ]
    published = allocation_round.state in RESULT_STATES
    return render_template(
        "pages/rounds/organisation_round.html",
        round=allocation_round,
        places=own,
        offering=allocation_round.state in service.OFFERING_STATES,
        ranking=allocation_round.state in service.RANKING_STATES,
        coming=coming_to(db.session, user_id, round_id, organisation_id) if published else [],
        answering_open=allocation_round.state == RoundState.PUBLISHED,
        published=published,
        side=ConfirmationSide.ORGANISATION,
        state_words=STATE_WORDS,
    )


@round_offers.route("/rounds/<int:round_id>/offer", methods=["GET", "POST"])
@member_only
@unit_of_work
def offer(round_id: int):
    """Offer one of the organisation's published placements, and say how many it takes."""
    user_id = signed_in_user().id
    organisation_id = _organisation_id()
    allocation_round = load_round(db.session, load_actor(db.session, user_id), round_id)
    back = _round_url(round_id)
    placements = list_organisation_placements(
        db.session, user_id, organisation_id, status=PlacementStatus.OPEN, limit=PLACEMENTS_SHOWN
    ).items
    form = OfferPlaceForm()
    form.prepare(placements)
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(back)
        with answering(form):
            service.offer_place(
                db.session,
                user_id,
                round_id,
                submitted_id(form.placement_id.data) or UNKNOWN_ID,
                whole_number(form.places.data),
            )
            flash("Your placement has been offered into the round", "success")
            return redirect(back)
    return form_page(
        "pages/rounds/offer.html",
        form=form,
        round=allocation_round,
        placements=placements,
        back_url=back,
    )


@round_offers.get("/round-places/<int:round_place_id>")
@member_only
@unit_of_work
def place(round_place_id: int):
    """Who chose the place, in the order the allocation will use, with controls to change it."""
    user_id = signed_in_user().id
    round_place = load_round_place_for_member(db.session, signed_in_user(), round_place_id)
    allocation_round = load_round(db.session, signed_in_user(), round_place.round_id)
    return render_template(
        "pages/rounds/organisation_place.html",
        round=allocation_round,
        place=round_place,
        choosers=service.choosers(db.session, user_id, round_place_id),
        ranking=allocation_round.state in service.RANKING_STATES,
        withdrawable=allocation_round.state in service.WITHDRAWING_STATES,
        own_order=round_place.ranking_mode == RankingMode.OWN_ORDER,
        back_url=_round_url(allocation_round.id),
    )


def _acted(round_place_id: int) -> str | None:
    """The place's page if this POST carries a fresh one-time token, else None."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    back = url_for("round_offers.place", round_place_id=round_place_id)
    return back if first_submission(form) else None


@round_offers.post("/round-places/<int:round_place_id>/engine-order")
@member_only
@unit_of_work
def engine_order(round_place_id: int):
    """Leave the order of those who chose the place to their match scores."""
    back = _acted(round_place_id)
    if back is None:
        return redirect(url_for("round_offers.place", round_place_id=round_place_id))
    with answering(answers={ValidationFailed: told_on(back)}):
        service.use_engine_order(db.session, signed_in_user().id, round_place_id)
    flash("The place uses the order of match scores", "success")
    return redirect(back)


@round_offers.post(
    "/round-places/<int:round_place_id>/people/<int:participant_id>/<any(up, down):move>"
)
@member_only
@unit_of_work
def move(round_place_id: int, participant_id: int, move: str):
    """Move one person up or down the place's order; the place then keeps its own order."""
    back = _acted(round_place_id)
    if back is None:
        return redirect(url_for("round_offers.place", round_place_id=round_place_id))
    user_id = signed_in_user().id
    order = [c.participant_id for c in service.choosers(db.session, user_id, round_place_id)]
    if participant_id not in order:
        abort(404)
    at = order.index(participant_id)
    to = at - 1 if move == "up" else at + 1
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
    with answering(answers={ValidationFailed: told_on(back)}):
        service.rank_participants(
            db.session, user_id, round_place_id, [(p, rank) for rank, p in enumerate(order, 1)]
        )
    flash("Your order has been saved", "success")
    return redirect(back)


@round_offers.route(
    "/round-places/<int:round_place_id>/people/<int:participant_id>/unacceptable",
    methods=["GET", "POST"],
)
@member_only
@unit_of_work
def unacceptable(round_place_id: int, participant_id: int):
    """Say the organisation cannot take someone who chose the place, and why."""
    user_id = signed_in_user().id
    chooser = next(
        (
            c
            for c in service.choosers(db.session, user_id, round_place_id)
            if c.participant_id == participant_id
        ),
        None,
    )
    if chooser is None:
        abort(404)
    back = url_for("round_offers.place", round_place_id=round_place_id)
    form = UnacceptableForm()
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(back)
        with answering(form):
            service.mark_unacceptable(
                db.session, user_id, round_place_id, participant_id, form.reason.data or ""
            )
            flash(f"{chooser.name} is marked as unacceptable for this place", "success")
            return redirect(back)
    return form_page("pages/rounds/unacceptable.html", form=form, chooser=chooser, back_url=back)


@round_offers.route("/round-places/<int:round_place_id>/withdraw", methods=["GET", "POST"])
@member_only
@unit_of_work
def withdraw(round_place_id: int):
    """Take one of the organisation's places out of a round until it allocates, confirmed on
    this page first: anyone who chose it loses that choice."""
    user_id = signed_in_user().id
    round_place = load_round_place_for_member(db.session, signed_in_user(), round_place_id)
    allocation_round = load_round(db.session, signed_in_user(), round_place.round_id)
    back = _round_url(allocation_round.id)
    if allocation_round.state not in service.WITHDRAWING_STATES:
        flash(message("round.state.wrong", state=STATE_WORDS[allocation_round.state]))
        return redirect(back)
    form = ActionForm()
    if not form.is_submitted():
        return render_template(
            "pages/rounds/confirm_withdraw_place.html",
            round=allocation_round,
            place=round_place,
            chosen_by=len(service.choosers(db.session, user_id, round_place_id)),
            back_url=url_for("round_offers.place", round_place_id=round_place_id),
        )
    if not form.validate():
        abort(400)
    if not first_submission(form):
        return redirect(back)
    title = round_place.placement.title
    with answering(answers={ValidationFailed: told_on(back)}):
        service.withdraw_place(db.session, user_id, round_place_id)
    flash(f"{title} has been withdrawn from the round", "success")
    return redirect(back)


@round_offers.post("/round-places/<int:round_place_id>/people/<int:participant_id>/acceptable")
@member_only
@unit_of_work
def clear_unacceptable(round_place_id: int, participant_id: int):
    """Take back the organisation's mark that it cannot take someone who chose the place."""
    back = _acted(round_place_id)
    if back is None:
        return redirect(url_for("round_offers.place", round_place_id=round_place_id))
    user_id = signed_in_user().id
    chooser = next(
        (
            c
            for c in service.choosers(db.session, user_id, round_place_id)
            if c.participant_id == participant_id
        ),
        None,
    )
    if chooser is None:
        abort(404)
    with answering(answers={ValidationFailed: told_on(back)}):
        service.clear_unacceptable(db.session, user_id, round_place_id, participant_id)
    flash(f"{chooser.name} is no longer marked as unacceptable for this place", "success")
    return redirect(back)


@round_offers.route(
    "/rounds/<int:round_id>/people/<int:participant_id>/<any(confirm, decline):answer>",
    methods=["GET", "POST"],
)
@member_only
@unit_of_work
def answer(round_id: int, participant_id: int, answer: str):
    """Confirm or decline, for the organisation, someone the allocation placed with it;
    declining is confirmed on a page first."""
    back = _round_url(round_id)
    form = ActionForm()
    if not form.is_submitted():
        person = next(
            (
                p
                for p in coming_to(db.session, signed_in_user().id, round_id, _organisation_id())
                if p.participant_id == participant_id
            ),
            None,
        )
        if answer == "confirm" or person is None:
            return redirect(back)
        return render_template(
            "pages/rounds/confirm_decline_person.html",
            person=person,
            round_id=round_id,
            back_url=back,
        )
    if not form.validate():
        abort(400)
    if not first_submission(form):
        return redirect(back)
    decision = (
        ConfirmationDecision.CONFIRMED if answer == "confirm" else ConfirmationDecision.DECLINED
    )
    with answering(answers={ValidationFailed: told_on(back)}):
        answer_as_organisation(db.session, signed_in_user().id, participant_id, decision)
    flash(f"You have {decision.value} this person", "success")
    return redirect(back)
