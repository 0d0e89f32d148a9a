"""The participant's side of allocation rounds: joining by link, ranking places without
JavaScript (each move is a POST form), and reading and answering their result."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from matcher.extensions import app_settings, db
from matcher.models import ConfirmationDecision, ConfirmationSide, Role, RoundState
from matcher.services import round_participants as service
from matcher.services.access import load_actor, load_round
from matcher.services.allocation_results import answer_as_participant, own_result
from matcher.services.round_places import places_in_round
from matcher.services.round_queries import rounds_joined_by, schemes_run_by
from matcher.services.rounds import STATE_WORDS
from matcher.services.validation import ValidationFailed
from matcher.web.auth import roles_required, signed_in_user
from matcher.web.forms.actions import ActionForm
from matcher.web.once import first_submission
from matcher.web.unit_of_work import answering, told_on, unit_of_work

round_choices = Blueprint("round_choices", __name__)

participants_only = roles_required(Role.CIVIL_SERVANT)
# A link's secret must not outlive its page in a cache, nor leave in a Referer header.
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _choices_url(round_id: int) -> str:
    return url_for("round_choices.your_choices", round_id=round_id)


@round_choices.get("/your-rounds")
@participants_only
@unit_of_work
def your_rounds():
    """The allocation rounds the signed-in person has joined."""
    user_id = signed_in_user().id
    return render_template(
        "pages/rounds/your_rounds.html",
        rounds=rounds_joined_by(db.session, user_id),
        runs_schemes=bool(schemes_run_by(db.session, user_id)),
        state_words=STATE_WORDS,
        published=(RoundState.PUBLISHED, RoundState.CLOSED),
    )


@round_choices.route("/rounds/join/<secret>", methods=["GET", "POST"])
@participants_only
@unit_of_work
def join(secret: str):
    """Join a round from its cohort's link, after saying so with a button."""
    form = ActionForm()
    if not form.is_submitted():
        return (
            render_template("pages/rounds/join.html", secret=secret),
            200,
            {
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
            },
        )
    if not form.validate():
        abort(400)
    if not first_submission(form):
        return redirect(url_for("round_choices.your_rounds"))
    with answering(answers={ValidationFailed: told_on(url_for("round_choices.your_rounds"))}):
        participant = service.join_by_link(
            db.session,
            signed_in_user().id,
            secret,
            government_domains=app_settings().government_email_domains,
        )
    flash("You have joined the round", "success")
    return redirect(_choices_url(participant.round_id))


@round_choices.route("/rounds/invitations/<token>", methods=["GET", "POST"])
@participants_only
@unit_of_work
def accept_invitation(token: str):
    """Join a round from the invitation emailed to the person's own address."""
    form = ActionForm()
    if not form.is_submitted():
        return render_template("pages/rounds/accept_invitation.html", token=token), 200, NO_STORE
    if not form.validate():
        abort(400)
    if not first_submission(form):
        return redirect(url_for("round_choices.your_rounds"))
    with answering(answers={ValidationFailed: told_on(url_for("round_choices.your_rounds"))}):
        participant = service.accept_invitation(
            db.session,
            signed_in_user().id,
            token,
            secret_key=current_app.config["SECRET_KEY"],
            government_domains=app_settings().government_email_domains,
        )
    flash("You have joined the round", "success")
    return redirect(_choices_url(participant.round_id))


@round_choices.get("/rounds/<int:round_id>/your-choices")
@participants_only
@unit_of_work
def your_choices(round_id: int):
    """The participant's choices in order, with buttons to move, remove and add places."""
    user_id = signed_in_user().id
    allocation_round = load_round(db.session, load_actor(db.session, user_id), round_id)
    if allocation_round.state in (RoundState.PUBLISHED, RoundState.CLOSED):
        return redirect(url_for("round_choices.your_result", round_id=round_id))
    with answering(answers={ValidationFailed: told_on(url_for("round_choices.your_rounds"))}):
        chosen = service.choices(db.session, user_id, round_id)
    places = {place.id: place for place in places_in_round(db.session, user_id, round_id)}
    return render_template(
        "pages/rounds/your_choices.html",
        round=allocation_round,
        chosen=[places[place_id] for place_id in chosen.round_place_ids],
        prefilled=chosen.prefilled,
        others=[p for p_id, p in places.items() if p_id not in chosen.round_place_ids],
        room=len(chosen.round_place_ids) < chosen.max_choices,
        choosing=allocation_round.state in service.CHOOSING_STATES,
        can_leave=allocation_round.state in service.WITHDRAWING_STATES,
        state_words=STATE_WORDS,
    )


def _change_choices(round_id: int, change: str, round_place_id: int | None = None):
    """Make one change to the participant's choices and show them again."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    back = _choices_url(round_id)
    if not first_submission(form):
        return redirect(back)
    user_id = signed_in_user().id
    with answering(answers={ValidationFailed: told_on(back)}):
        if change == "save":
            current = service.choices(db.session, user_id, round_id)
            service.set_choices(db.session, user_id, round_id, current.round_place_ids)
        elif change == "remove":
            assert round_place_id is not None
            service.remove_choice(db.session, user_id, round_id, round_place_id)
        elif change == "add":
            assert round_place_id is not None
            service.add_choice(db.session, user_id, round_id, round_place_id)
        else:
            assert round_place_id is not None
            service.move_choice(db.session, user_id, round_id, round_place_id, service.Move(change))
    flash("Your choices have been saved", "success")
    return redirect(back)


@round_choices.post("/rounds/<int:round_id>/your-choices/save")
@participants_only
@unit_of_work
def save_choices(round_id: int):
    """Keep the suggested choices as they are."""
    return _change_choices(round_id, "save")


@round_choices.post(
    "/rounds/<int:round_id>/your-choices/<int:round_place_id>/<any(up, down, remove, add):change>"
)
@participants_only
@unit_of_work
def change_choice(round_id: int, round_place_id: int, change: str):
    """Move a place up or down one, take it off the list, or add it at the end."""
    return _change_choices(round_id, change, round_place_id)


@round_choices.route("/rounds/<int:round_id>/leave", methods=["GET", "POST"])
@participants_only
@unit_of_work
def leave(round_id: int):
    """Leave the round before its results are published, confirmed on a page first."""
    back = _choices_url(round_id)
    form = ActionForm()
    if not form.is_submitted():
        allocation_round = load_round(db.session, signed_in_user(), round_id)
        return render_template(
            "pages/rounds/confirm_leave.html", round=allocation_round, back_url=back
        )
    if not form.validate():
        abort(400)
    if not first_submission(form):
        return redirect(back)
    with answering(answers={ValidationFailed: told_on(back)}):
        service.withdraw(db.session, signed_in_user().id, round_id)
    flash("You have left the round", "success")
    return redirect(url_for("round_choices.your_rounds"))


@round_choices.get("/rounds/<int:round_id>/your-result")
@participants_only
@unit_of_work
def your_result(round_id: int):
    """Where the participant was placed and why, and their answer to it."""
    user_id = signed_in_user().id
    allocation_round = load_round(db.session, load_actor(db.session, user_id), round_id)
    back = url_for("round_choices.your_rounds")
    with answering(answers={ValidationFailed: told_on(back)}):
        result = own_result(db.session, user_id, round_id)
    return render_template(
        "pages/rounds/your_result.html",
        round=allocation_round,
        result=result,
        side=ConfirmationSide,
        own_answer=result.decisions.get(ConfirmationSide.PARTICIPANT),
        their_answer=result.decisions.get(ConfirmationSide.ORGANISATION),
        answering_open=allocation_round.state == RoundState.PUBLISHED
        and result.round_place_id is not None
        and ConfirmationSide.PARTICIPANT not in result.decisions,
        back_url=back,
    )


@round_choices.route(
    "/rounds/<int:round_id>/your-result/<any(confirm, decline):answer>", methods=["GET", "POST"]
)
@participants_only
@unit_of_work
def answer_result(round_id: int, answer: str):
    """Confirm or decline the place given; declining is confirmed on a page first."""
    back = url_for("round_choices.your_result", round_id=round_id)
    form = ActionForm()
    if not form.is_submitted():
        if answer == "confirm":
            return redirect(back)
        allocation_round = load_round(db.session, signed_in_user(), round_id)
        return render_template(
            "pages/rounds/confirm_decline_place.html", round=allocation_round, back_url=back
        )
    if not form.validate():
        abort(400)
    if not first_submission(form):
        return redirect(back)
    decision = (
        ConfirmationDecision.CONFIRMED if answer == "confirm" else ConfirmationDecision.DECLINED
    )
    with answering(answers={ValidationFailed: told_on(back)}):
        answer_as_participant(db.session, signed_in_user().id, round_id, decision)
    flash(f"You have {'confirmed' if answer == 'confirm' else 'declined'} your place", "success")
    return redirect(back)
