"""The scheme manager's side of allocation rounds: their schemes and rounds, a new round, a
round's one next step, inviting its cohort, its join link and, once allocated, its results.

Every object is loaded through the round services, which decide who may see and run it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for

from matcher.clock import LONDON
from matcher.extensions import app_settings, db
from matcher.models import AllocationRound, Role, RoundState
from matcher.services import round_participants, round_places, rounds
from matcher.services import schemes as scheme_service
from matcher.services.access import load_actor, load_round_for_manager
from matcher.services.allocation_results import RoundStatistics, round_statistics
from matcher.services.concurrency import StaleObject
from matcher.services.errors import ServiceError
from matcher.services.messages import message
from matcher.services.round_queries import schemes_run_by
from matcher.services.validation import ValidationFailed
from matcher.web.auth import roles_required, signed_in_user
from matcher.web.downloads import csv_download
from matcher.web.forms import submitted_id
from matcher.web.forms.actions import ActionForm
from matcher.web.forms.organisations import KIND_NAMES
from matcher.web.forms.rounds import (
    InviteFileForm,
    InviteParticipantsForm,
    ManagerForm,
    RoundForm,
    RoundSettingsForm,
    SchemeForm,
    whole_number,
)
from matcher.web.once import first_submission
from matcher.web.pages import form_page, page_count, page_number, pagination
from matcher.web.unit_of_work import Answer, answering, told_on, unit_of_work

schemes = Blueprint("schemes", __name__)

# Scheme managers are civil servants; platform administrators run every scheme.
managers_only = roles_required(Role.CIVIL_SERVANT, Role.ADMINISTRATOR)
ROUNDS_PER_PAGE = 20
# The steps a manager confirms on a page of their own first: none can be undone.
CONFIRMED_STEPS = frozenset({RoundState.ALLOCATING, RoundState.PUBLISHED, RoundState.CLOSED})
NEXT_STEP_WORDS = {
    RoundState.COLLECTING_PLACES: "Open the round for organisations to offer places",
    RoundState.COLLECTING_PREFERENCES: "Open the round for participants to choose",
    RoundState.ALLOCATING: "Allocate places",
    RoundState.PUBLISHED: "Publish the results",
    RoundState.CLOSED: "Close the round",
}
# The secret of a join link must not outlive its page in any cache.
NO_STORE = {"Cache-Control": "no-store"}


def end_of_day(day: date) -> datetime:
    """A deadline given as a day: UK midnight after it."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON)


def _round_url(allocation_round: AllocationRound) -> str:
    return url_for("schemes.round_page", round_id=allocation_round.id)


@schemes.get("/schemes")
@managers_only
@unit_of_work
def index():
    """The schemes the signed-in person runs."""
    return render_template(
        "pages/rounds/schemes.html", schemes=schemes_run_by(db.session, signed_in_user().id)
    )


@schemes.route("/schemes/new", methods=["GET", "POST"])
@roles_required(Role.ADMINISTRATOR)
@unit_of_work
def new_scheme():
    """Create a scheme, run for a department or across government."""
    form = SchemeForm()
    form.prepare(db.session)
    back = url_for("schemes.index")
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(back)
        with answering(form):
            created = scheme_service.create_scheme(
                db.session,
                signed_in_user().id,
                name=form.name.data or "",
                department_id=submitted_id(form.department_id.data),
            )
            flash(f"{created.name} has been created", "success")
            return redirect(url_for("schemes.scheme", scheme_id=created.id))
    return form_page("pages/rounds/new_scheme.html", form=form, back_url=back)


@schemes.route("/schemes/<int:scheme_id>/managers", methods=["GET", "POST"])
@managers_only
@unit_of_work
def managers(scheme_id: int):
    """The scheme's managers, and a form to appoint another."""
    user_id = signed_in_user().id
    found = scheme_service.load_scheme(db.session, load_actor(db.session, user_id), scheme_id)
    form = ManagerForm()
    here = url_for("schemes.managers", scheme_id=scheme_id)
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(here)
        with answering(form):
            scheme_service.appoint_manager(db.session, user_id, scheme_id, form.email.data or "")
            flash(f"{form.email.data} now manages {found.name}", "success")
            return redirect(here)
    return form_page(
        "pages/rounds/managers.html",
        form=form,
        scheme=found,
        managers=scheme_service.managers_of(db.session, user_id, scheme_id),
        back_url=url_for("schemes.scheme", scheme_id=scheme_id),
    )


@schemes.get("/schemes/<int:scheme_id>")
@managers_only
@unit_of_work
def scheme(scheme_id: int):
    """A scheme's rounds, newest first, a page at a time."""
    user_id = signed_in_user().id
    found = scheme_service.load_scheme(db.session, load_actor(db.session, user_id), scheme_id)
    every_round = rounds.rounds_of(db.session, user_id, scheme_id)
    page = page_number()
    pages = page_count(len(every_round), ROUNDS_PER_PAGE)
    shown = every_round[(page - 1) * ROUNDS_PER_PAGE : page * ROUNDS_PER_PAGE]
    return render_template(
        "pages/rounds/scheme.html",
        scheme=found,
        rounds=shown,
        state_words=rounds.STATE_WORDS,
        pagination=pagination(page, pages, "schemes.scheme", scheme_id=scheme_id),
    )


@schemes.route("/schemes/<int:scheme_id>/rounds/new", methods=["GET", "POST"])
@managers_only
@unit_of_work
def new_round(scheme_id: int):
    """Name a new round and set its number of choices and deadlines; it starts as a draft."""
    user_id = signed_in_user().id
    found = scheme_service.load_scheme(db.session, load_actor(db.session, user_id), scheme_id)
    form = RoundForm()
    back = url_for("schemes.scheme", scheme_id=scheme_id)
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(back)
        with answering(form, field_names=SETTINGS_FIELDS):
            created = rounds.create_round(db.session, user_id, scheme_id, _settings(form))
            flash(f"{created.name} has been created as a draft", "success")
            return redirect(_round_url(created))
    return form_page("pages/rounds/new.html", form=form, scheme=found, parent=None, back_url=back)


@schemes.route("/rounds/<int:round_id>/second-round", methods=["GET", "POST"])
@managers_only
@unit_of_work
def second_round(round_id: int):
    """Start a draft round for the places with room and the people a closed round left."""
    user_id = signed_in_user().id
    parent = load_round_for_manager(db.session, load_actor(db.session, user_id), round_id)
    back = _round_url(parent)
    if parent.state != RoundState.CLOSED:
        return redirect(back)
    if not rounds.left_over(db.session, user_id, round_id):
        flash(message("round.second.nothing_left"))
        return redirect(back)
    form = RoundForm()
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(back)
        with answering(form, field_names=SETTINGS_FIELDS):
            created = rounds.start_second_round(db.session, user_id, round_id, _settings(form))
            flash(f"{created.name} has been created as a draft", "success")
            return redirect(_round_url(created))
    return form_page(
        "pages/rounds/new.html", form=form, scheme=parent.scheme, parent=parent, back_url=back
    )


# The service's names for the round's settings, and the form's.
SETTINGS_FIELDS = {
    "preferences_close_at": "preferences_close_on",
    "confirmations_close_at": "confirmations_close_on",
}


def deadline_day(deadline: datetime | None) -> date | None:
    """The day a deadline set by ``end_of_day`` was given as."""
    return (deadline.astimezone(LONDON) - timedelta(days=1)).date() if deadline else None


@schemes.route("/rounds/<int:round_id>/settings", methods=["GET", "POST"])
@managers_only
@unit_of_work
def settings(round_id: int):
    """Change a round's name, number of choices and deadlines until choices are in; the version
    the page was read at guards against overwriting a colleague's change."""
    user_id = signed_in_user().id
    allocation_round = load_round_for_manager(db.session, load_actor(db.session, user_id), round_id)
    back = _round_url(allocation_round)
    if allocation_round.state not in rounds.EDITABLE_STATES:
        flash(message("round.state.wrong", state=rounds.STATE_WORDS[allocation_round.state]))
        return redirect(back)
    form = RoundSettingsForm(
        data={
            "name": allocation_round.name,
            "max_choices": str(allocation_round.max_choices),
            "preferences_close_on": deadline_day(allocation_round.preferences_close_at),
            "confirmations_close_on": deadline_day(allocation_round.confirmations_close_at),
            "expected_version": str(allocation_round.version_id),
        }
    )
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(back)
        answers: dict[type[ServiceError], Answer] = {StaleObject: lambda _: _stale(round_id)}
        with answering(form, answers, field_names=SETTINGS_FIELDS):
            rounds.change_settings(
                db.session,
                user_id,
                round_id,
                _settings(form),
                expected_version=submitted_id(form.expected_version.data),
            )
            flash("The round's settings have been saved", "success")
            return redirect(back)
    return form_page(
        "pages/rounds/new.html",
        form=form,
        scheme=allocation_round.scheme,
        parent=None,
        editing=allocation_round,
        back_url=back,
    )


def _stale(round_id: int) -> tuple[str, int]:
    return render_template("pages/rounds/stale.html", round_id=round_id), 409


def _settings(form: RoundForm) -> rounds.RoundSettings:
    preferences, confirmations = form.preferences_close_on.data, form.confirmations_close_on.data
    return rounds.RoundSettings(
        name=form.name.data or "",
        max_choices=whole_number(form.max_choices.data),
        preferences_close_at=end_of_day(preferences) if preferences else None,
        confirmations_close_at=end_of_day(confirmations) if confirmations else None,
    )


@schemes.get("/rounds/<int:round_id>")
@managers_only
@unit_of_work
def round_page(round_id: int):
    """A round for its managers: its state, its places and people, and its one next step."""
    user_id = signed_in_user().id
    actor = load_actor(db.session, user_id)
    allocation_round = load_round_for_manager(db.session, actor, round_id)
    next_state = rounds.NEXT_STATE.get(allocation_round.state)
    waiting = allocation_round.state == RoundState.ALLOCATING and not allocation_round.allocated_at
    return render_template(
        "pages/rounds/round.html",
        round=allocation_round,
        scheme=allocation_round.scheme,
        state_words=rounds.STATE_WORDS,
        next_state=None if waiting else next_state,
        next_step=NEXT_STEP_WORDS.get(next_state) if next_state else None,
        confirm_first=next_state in CONFIRMED_STEPS,
        places=round_places.places_in_round(db.session, user_id, round_id),
        cohort=round_participants.cohort(db.session, user_id, round_id),
        joining=allocation_round.state in round_participants.JOINING_STATES,
        editable=allocation_round.state in rounds.EDITABLE_STATES,
        allocated=allocation_round.allocated_at is not None,
        second_round_possible=allocation_round.state == RoundState.CLOSED
        and bool(rounds.left_over(db.session, user_id, round_id)),
    )


@schemes.route("/rounds/<int:round_id>/next-step", methods=["GET", "POST"])
@managers_only
@unit_of_work
def next_step(round_id: int):
    """Move the round on one step; steps that cannot be undone are confirmed on this page."""
    user_id = signed_in_user().id
    allocation_round = load_round_for_manager(db.session, load_actor(db.session, user_id), round_id)
    back = _round_url(allocation_round)
    target = rounds.NEXT_STATE.get(allocation_round.state)
    if target is None:
        return redirect(back)
    form = ActionForm()
    if not form.is_submitted():
        return render_template(
            "pages/rounds/confirm_step.html",
            round=allocation_round,
            target=target,
            step=NEXT_STEP_WORDS[target],
            back_url=back,
        )
    if not form.validate():
        abort(400)
    if not first_submission(form):
        return redirect(back)
    with answering(answers={ValidationFailed: told_on(back)}):
        rounds.advance(db.session, user_id, round_id, target)
    flash(f"The round is now {rounds.STATE_WORDS[target]}", "success")
    return redirect(back)


@schemes.route("/rounds/<int:round_id>/invite", methods=["GET", "POST"])
@managers_only
@unit_of_work
def invite(round_id: int):
    """Invite people to the round by their email addresses, one a line."""
    user_id = signed_in_user().id
    allocation_round = load_round_for_manager(db.session, load_actor(db.session, user_id), round_id)
    back = _round_url(allocation_round)
    form = InviteParticipantsForm()
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(back)
        with answering(form):
            outcome = round_participants.invite(
                db.session,
                user_id,
                round_id,
                (form.emails.data or "").splitlines(),
                government_domains=app_settings().government_email_domains,
            )
            if outcome.errors:
                line, problem = next(iter(outcome.errors.items()))
                form.emails.errors = [f"Line {line}: {problem}"]
            else:
                flash(_invited_words(outcome), "success")
                return redirect(back)
    return form_page("pages/rounds/invite.html", form=form, round=allocation_round, back_url=back)


# A CSV of a cohort's addresses is a few hundred kilobytes at most.
INVITE_FILE_MOST_BYTES = 2 * 1024 * 1024
INVITE_FILE_MOST_WORDS = "2 MB"
SAMPLE_INVITE_FILE = (
    "email,name\r\n"
    "ada.lovelace@cabinetoffice.gov.uk,Ada Lovelace\r\n"
    "alan.turing@dwp.gov.uk,Alan Turing\r\n"
)


def _uploaded_text(form: InviteFileForm) -> str | None:
    """The uploaded file as text, or None with the reason on the form."""
    upload = form.file.data
    data = upload.read(INVITE_FILE_MOST_BYTES + 1) if upload else b""
    if not data:
        form.file.errors = [message("participants.csv.missing")]
        return None
    if len(data) > INVITE_FILE_MOST_BYTES:
        form.file.errors = [message("participants.csv.too_large", most=INVITE_FILE_MOST_WORDS)]
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors = [message("participants.csv.not_text")]
        return None


@schemes.route("/rounds/<int:round_id>/invite/file", methods=["GET", "POST"])
@managers_only
@unit_of_work
def invite_file(round_id: int):
    """Invite the people in a CSV file's email column; nobody is invited if any row is bad,
    and each bad row is listed."""
    user_id = signed_in_user().id
    allocation_round = load_round_for_manager(db.session, load_actor(db.session, user_id), round_id)
    back = _round_url(allocation_round)
    if allocation_round.state not in round_participants.JOINING_STATES:
        flash(message("round.state.wrong", state=rounds.STATE_WORDS[allocation_round.state]))
        return redirect(back)
    form = InviteFileForm()
    refused_rows: list[tuple[int, str]] = []
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(back)
        text = _uploaded_text(form)
        if text is not None:
            with answering(form, field_names={"emails": "file"}):
                outcome = round_participants.invite_from_csv(
                    db.session,
                    user_id,
                    round_id,
                    text,
                    government_domains=app_settings().government_email_domains,
                )
                if not outcome.errors:
                    flash(_invited_words(outcome), "success")
                    return redirect(back)
                refused_rows = sorted(outcome.errors.items())
                count = len(refused_rows)
                form.file.errors = [
                    message(
                        "participants.csv.rows_refused",
                        count=f"{count} {'row' if count == 1 else 'rows'}",
                    )
                ]
    return form_page(
        "pages/rounds/invite_file.html",
        form=form,
        round=allocation_round,
        refused_rows=refused_rows,
        back_url=url_for("schemes.invite", round_id=round_id),
    )


@schemes.get("/rounds/invite-sample.csv")
@managers_only
def invite_sample():
    """A CSV file in the shape the invitation upload reads, to fill in."""
    return Response(
        SAMPLE_INVITE_FILE,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="invite-people-sample.csv"'},
    )


def _invited_words(outcome: round_participants.Invited) -> str:
    invited = len(outcome.invited)
    words = f"We have emailed {invited} {'person' if invited == 1 else 'people'} an invitation"
    if outcome.already:
        words += f"; {len(outcome.already)} were already in the round"
    return words


@schemes.post("/rounds/<int:round_id>/join-link")
@managers_only
@unit_of_work
def join_link(round_id: int):
    """Make a new join link for the cohort and show it once; the old link stops working."""
    user_id = signed_in_user().id
    allocation_round = load_round_for_manager(db.session, load_actor(db.session, user_id), round_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    back = _round_url(allocation_round)
    with answering(answers={ValidationFailed: told_on(back)}):
        secret = round_participants.make_join_link_secret(db.session, user_id, round_id)
    link = url_for("round_choices.join", secret=secret, _external=True)
    page = render_template(
        "pages/rounds/join_link.html", round=allocation_round, link=link, back_url=back
    )
    return page, 200, NO_STORE


@schemes.get("/rounds/<int:round_id>/results")
@managers_only
@unit_of_work
def results(round_id: int):
    """How the allocation went: a chart of the counts, the same numbers in a table, and the
    places left empty by region and kind of organisation."""
    user_id = signed_in_user().id
    allocation_round = load_round_for_manager(db.session, load_actor(db.session, user_id), round_id)
    back = _round_url(allocation_round)
    with answering(answers={ValidationFailed: told_on(back)}):
        statistics = round_statistics(db.session, user_id, round_id)
    return render_template(
        "pages/rounds/results.html",
        round=allocation_round,
        counts=_counts(statistics),
        participants=statistics.summary.participants,
        by_region=statistics.unfilled_by_region,
        by_kind=[(KIND_NAMES[kind], n) for kind, n in statistics.unfilled_by_kind],
        back_url=back,
    )


def _counts(statistics: RoundStatistics) -> list[tuple[str, int]]:
    summary = statistics.summary
    return [
        ("Placed", summary.placed),
        ("Got their first choice", summary.first_choice),
        ("Got one of their top three", summary.top_three),
        ("Not placed", summary.unplaced),
    ]


@schemes.get("/rounds/<int:round_id>/results.csv")
@managers_only
@unit_of_work
def results_csv(round_id: int):
    """The results page's numbers as a CSV file, one figure a row."""
    user_id = signed_in_user().id
    allocation_round = load_round_for_manager(db.session, load_actor(db.session, user_id), round_id)
    with answering(answers={ValidationFailed: told_on(_round_url(allocation_round))}):
        statistics = round_statistics(db.session, user_id, round_id)
    rows: list[list[object]] = [["participants", "", statistics.summary.participants]]
    rows += [[label, "", count] for label, count in _counts(statistics)]
    rows += [["Places left empty", region, n] for region, n in statistics.unfilled_by_region]
    rows += [["Places left empty", KIND_NAMES[kind], n] for kind, n in statistics.unfilled_by_kind]
    return csv_download(f"round-{round_id}-results.csv", ["measure", "group", "count"], rows)
