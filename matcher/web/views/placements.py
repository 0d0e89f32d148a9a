"""Placements: the organisation member's pages to post and manage them, and the public pages.

Posting a placement is one page of questions, then check your answers, then "Save as draft".
The answers wait on the server (``services.drafts``) between the two pages. Every status
change has its own confirmation page and carries the version the member saw, so a change made
meanwhile by a colleague is caught instead of overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import escape
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import (
    Grade,
    Hours,
    Placement,
    PlacementKind,
    PlacementStatus,
    Region,
    Role,
    Skill,
    Theme,
    VerificationStatus,
)
from matcher.services import drafts, interests, match_queries, practice_notes
from matcher.services import placements as service
from matcher.services.access import load_placement_for_member
from matcher.services.concurrency import StaleObject
from matcher.services.errors import InvalidState, ServiceError
from matcher.services.memberships import organisations_of
from matcher.services.placements import PlacementData, PlacementSearch
from matcher.services.text import SEARCH_TEXT_MAX
from matcher.services.validation import ValidationFailed
from matcher.web.auth import get_current_user, signed_in_user
from matcher.web.forms import options, submitted_id
from matcher.web.forms.organisations import KIND_NAMES as ORGANISATION_KIND_NAMES
from matcher.web.forms.placements import (
    HOURS_NAMES,
    KIND_NAMES,
    STATUS_NAMES,
    ConfirmForm,
    PlacementForm,
    SaveDraftForm,
    SearchForm,
    StatusFilterForm,
    data_from_session,
    data_to_session,
    form_values,
)
from matcher.web.membership import current_membership, member_only
from matcher.web.once import first_submission
from matcher.web.pages import form_page, page_count, page_number, pagination
from matcher.web.unit_of_work import Answer, Tell, answering, unit_of_work

placements = Blueprint("placements", __name__)

PER_PAGE = 10
STATUS_TAGS = {
    PlacementStatus.DRAFT: "govuk-tag--grey",
    PlacementStatus.OPEN: "govuk-tag--green",
    PlacementStatus.CLOSED: "govuk-tag--yellow",
    PlacementStatus.FILLED: "govuk-tag--blue",
    PlacementStatus.WITHDRAWN: "govuk-tag--red",
}


@dataclass(frozen=True)
class Change:
    """A status change a member confirms on its own page."""

    slug: str
    run: Any
    title: str
    explanation: str
    button: str
    done: str
    warning: bool = False


CHANGES = {
    change.slug: change
    for change in (
        Change(
            "publish",
            service.publish,
            "Publish this placement?",
            "Civil servants will be able to find it and say they are interested.",
            "Publish placement",
            "Your placement has been published",
        ),
        Change(
            "close",
            service.close,
            "Close this placement?",
            "People will no longer be able to say they are interested. You can reopen it "
            "while its closing date is still ahead.",
            "Close placement",
            "Your placement has been closed",
        ),
        Change(
            "reopen",
            service.reopen,
            "Reopen this placement?",
            "People will be able to find it and say they are interested again.",
            "Reopen placement",
            "Your placement has been reopened",
        ),
        Change(
            "mark-filled",
            service.mark_filled,
            "Mark this placement as filled?",
            "It will no longer appear in searches. You cannot undo this.",
            "Mark as filled",
            "Your placement has been marked as filled",
        ),
        Change(
            "withdraw",
            service.withdraw,
            "Withdraw this placement?",
            "It will no longer appear in searches. You cannot undo this.",
            "Withdraw placement",
            "Your placement has been withdrawn",
            warning=True,
        ),
        Change(
            "discard",
            service.discard_draft,
            "Delete this draft?",
            "The draft will be deleted. You cannot undo this.",
            "Delete draft",
            "Your draft has been deleted",
            warning=True,
        ),
    )
}
# Which changes each status offers, in the order the page shows them.
OFFERED = {
    PlacementStatus.DRAFT: ("publish", "discard"),
    PlacementStatus.OPEN: ("close", "mark-filled", "withdraw"),
    PlacementStatus.CLOSED: ("reopen", "mark-filled", "withdraw"),
    PlacementStatus.FILLED: (),
    PlacementStatus.WITHDRAWN: (),
}
ACTION_OF_SLUG = {"mark-filled": "mark_filled", "discard": "discard"}


def _organisation_id() -> int:
    membership = current_membership()
    if membership is None:
        abort(redirect(url_for("organisations.mine")))
    return membership.organisation_id


def _own_placement(placement_id: int) -> Placement:
    """A placement the signed-in member may manage: 404 if unseen, 403 if another's."""
    return load_placement_for_member(db.session, signed_in_user(), placement_id)


def _stale(placement_id: int) -> tuple[str, int]:
    return render_template("pages/placements/stale.html", placement_id=placement_id), 409


# The organisation member's pages.


@placements.get("/organisation/placements")
@member_only
@unit_of_work
def mine():
    """List the organisation's placements, newest change first, filtered by status."""
    organisation_id = _organisation_id()
    form = StatusFilterForm(request.args)
    status = None
    if form.status.data:
        try:
            status = PlacementStatus(form.status.data)
        except ValueError:
            abort(400)
    number = page_number()
    page = service.list_organisation_placements(
        db.session,
        signed_in_user().id,
        organisation_id,
        status=status,
        limit=PER_PAGE,
        offset=(number - 1) * PER_PAGE,
    )
    return render_template(
        "pages/placements/mine.html",
        form=form,
        page=page,
        interest_counts=interests.interest_counts(
            db.session, signed_in_user().id, [placement.id for placement in page.items]
        ),
        pagination=pagination(
            number, page_count(page.total, PER_PAGE), "placements.mine", **request.args.to_dict()
        ),
        status_names=STATUS_NAMES,
        status_tags=STATUS_TAGS,
    )


@placements.route("/organisation/placements/new", methods=["GET", "POST"])
@member_only
@unit_of_work
def new():
    """Ask every question about a new placement on one page."""
    _organisation_id()
    user_id = signed_in_user().id
    stored = drafts.load(db.session, user_id, drafts.PLACEMENT)
    form = PlacementForm(data=form_values(data_from_session(stored)) if stored else None)
    form.prepare(db.session)
    if form.validate_on_submit():
        drafts.keep(db.session, user_id, drafts.PLACEMENT, data_to_session(form.placement_data()))
        return redirect(url_for("placements.check"))
    return form_page(
        "pages/placements/form.html",
        form=form,
        page_title="Post a placement",
        submit_text="Continue",
        back_url=url_for("placements.mine"),
    )


@placements.route("/organisation/placements/new/check", methods=["GET", "POST"])
@member_only
@unit_of_work
def check():
    """Show the answers with Change links; "Save as draft" saves them once."""
    organisation_id = _organisation_id()
    user_id = signed_in_user().id
    stored = drafts.load(db.session, user_id, drafts.PLACEMENT)
    form = SaveDraftForm()
    if stored is None:
        return redirect(url_for("placements.mine"))
    data = data_from_session(stored)
    if form.validate_on_submit():
        if not first_submission(form):
            # A second press of the button: the first one saved the draft.
            return redirect(url_for("placements.mine"))
        # The answers again, to show the service's verdict on the page that asks them.
        again = PlacementForm(formdata=None, data=form_values(data))
        again.prepare(db.session)
        not_approved = Tell(
            "Your organisation was not approved, so it cannot post placements",
            url_for("organisations.mine"),
        )
        with answering(again, {InvalidState: not_approved}):
            placement = service.create_draft(db.session, user_id, organisation_id, data)
            drafts.discard(db.session, user_id, drafts.PLACEMENT)
            flash("Your placement has been saved as a draft", "success")
            return redirect(url_for("placements.manage", placement_id=placement.id))
        return form_page(
            "pages/placements/form.html",
            form=again,
            page_title="Post a placement",
            submit_text="Continue",
            back_url=url_for("placements.mine"),
            form_action=url_for("placements.new"),
        )
    return render_template(
        "pages/placements/check.html",
        form=form,
        rows=_rows(data, change_url=url_for("placements.new")),
    )


@placements.get("/organisation/placements/<int:placement_id>")
@member_only
@unit_of_work
def manage(placement_id: int):
    """Show one of the organisation's placements with what can be done with it next."""
    placement = _own_placement(placement_id)
    verified = placement.organisation.status == VerificationStatus.VERIFIED
    return render_template(
        "pages/placements/manage.html",
        placement=placement,
        interested=interests.interest_counts(db.session, signed_in_user().id, [placement.id]).get(
            placement.id, 0
        ),
        rows=_rows(service.placement_data(placement)),
        changes=[CHANGES[slug] for slug in OFFERED[placement.status]],
        editable=placement.status in service.EDITABLE,
        verified=verified,
        status_names=STATUS_NAMES,
        status_tags=STATUS_TAGS,
    )


@placements.route("/organisation/placements/<int:placement_id>/edit", methods=["GET", "POST"])
@member_only
@unit_of_work
def edit(placement_id: int):
    """Change a draft or open placement; the version seen guards against lost changes."""
    placement = _own_placement(placement_id)
    if placement.status not in service.EDITABLE:
        flash("Only draft and open placements can be changed")
        return redirect(url_for("placements.manage", placement_id=placement_id))
    current = service.placement_data(placement)
    form = PlacementForm(data={**form_values(current), "expected_version": placement.version_id})
    form.prepare(db.session)
    form.stored_closing_date = current.closing_date
    if form.validate_on_submit():
        answers: dict[type[ServiceError], Answer] = {
            StaleObject: lambda _: _stale(placement_id),
            InvalidState: Tell(
                "Only draft and open placements can be changed",
                url_for("placements.manage", placement_id=placement_id),
            ),
        }
        with answering(form, answers):
            service.update_placement(
                db.session,
                signed_in_user().id,
                placement_id,
                form.placement_data(),
                expected_version=submitted_id(form.expected_version.data),
            )
            flash("Your placement has been updated", "success")
            return redirect(url_for("placements.manage", placement_id=placement_id))
    return form_page(
        "pages/placements/form.html",
        form=form,
        page_title="Change the placement",
        submit_text="Save changes",
        back_url=url_for("placements.manage", placement_id=placement_id),
    )


@placements.route(
    "/organisation/placements/<int:placement_id>/<any("
    + ", ".join(f'"{slug}"' for slug in CHANGES)
    + "):change>",
    methods=["GET", "POST"],
)
@member_only
@unit_of_work
def change_status(placement_id: int, change: str):
    """Confirm, then publish, close, reopen, mark filled, withdraw or delete a draft."""
    placement = _own_placement(placement_id)
    definition = CHANGES[change]
    form = ConfirmForm(data={"expected_version": placement.version_id})
    problem = None
    if change not in OFFERED[placement.status]:
        problem = (
            f"This placement is {STATUS_NAMES[placement.status].lower()}, so you cannot do this"
        )
    elif change in ("publish", "reopen") and (
        placement.organisation.status != VerificationStatus.VERIFIED
    ):
        problem = (
            "Your organisation has not been verified yet. A platform administrator checks every "
            "organisation before its placements can be published. You can keep editing the "
            "draft until then"
        )

    def confirm_page(problem: str | None) -> tuple[str, int]:
        page = render_template(
            "pages/confirm_change.html",
            form=form,
            caption=placement.title,
            back_url=url_for("placements.manage", placement_id=placement.id),
            back_text="Go back to the placement",
            change=definition,
            problem=problem,
        )
        return page, 409 if problem and request.method == "POST" else 200

    if form.validate_on_submit() and problem is None:
        answers: dict[type[ServiceError], Answer] = {
            StaleObject: lambda _: _stale(placement_id),
            ValidationFailed: lambda failed: confirm_page(
                " ".join(failed.errors.values()) + ". Change the placement first"
            ),
            InvalidState: lambda _: confirm_page(
                "This placement has changed, so you cannot do this now"
            ),
        }
        with answering(answers=answers):
            definition.run(
                db.session,
                signed_in_user().id,
                placement_id,
                expected_version=submitted_id(form.expected_version.data),
            )
            flash(definition.done, "success")
            if change == "discard":
                return redirect(url_for("placements.mine"))
            return redirect(url_for("placements.manage", placement_id=placement_id))
    return confirm_page(problem)


# The public pages.


@placements.get("/placements")
@unit_of_work
def search():
    """Search the open placements by words, theme, kind, region and remote working."""
    form = SearchForm(request.args)
    themes = db.session.execute(
        select(Theme.slug, Theme.name).where(Theme.active).order_by(Theme.name)
    ).all()
    regions = db.session.execute(select(Region.code, Region.name).order_by(Region.name)).all()
    form.theme.choices = options([("", "Any theme"), *themes])
    form.region.choices = options([("", "Anywhere"), *regions])
    filters = PlacementSearch(
        theme=_known(form.theme.data, {slug for slug, _ in themes}),
        kind=_known(form.kind.data, {kind.value for kind in KIND_NAMES}),
        region_code=_known(form.region.data, {code for code, _ in regions}),
        remote=True if form.remote.data == "yes" else None,
        text=(form.text.data or "")[:SEARCH_TEXT_MAX] or None,
    )
    number = page_number()
    page = service.search_open_placements(
        db.session, filters, limit=PER_PAGE, offset=(number - 1) * PER_PAGE
    )
    if number > 1 and not page.items:
        abort(404)
    args = {key: value for key, value in request.args.items() if value and key != "page"}
    return render_template(
        "pages/placements/search.html",
        form=form,
        page=page,
        filtered=bool(args),
        pagination=pagination(
            number, page_count(page.total, PER_PAGE), "placements.search", **args
        ),
        kind_names=KIND_NAMES,
        hours_names=HOURS_NAMES,
        region_names=dict(regions),
    )


@placements.get("/placements/<int:placement_id>")
@unit_of_work
def show(placement_id: int):
    """The public page of an open placement; its organisation also sees drafts as a preview."""
    user = get_current_user()
    placement = service.get_placement(db.session, user.id if user else None, placement_id)
    member = user is not None and any(
        m.organisation_id == placement.organisation_id for m in _memberships(user.id)
    )
    standing = (
        match_queries.standing_with(db.session, user.id, placement.id)
        if user is not None and user.role == Role.CIVIL_SERVANT
        else None
    )
    return render_template(
        "pages/placements/show.html",
        placement=placement,
        standing=standing,
        rows=_public_rows(placement),
        member=member,
        status_names=STATUS_NAMES,
        status_tags=STATUS_TAGS,
        organisation_kind=ORGANISATION_KIND_NAMES[placement.organisation.kind],
        notes=practice_notes.published_notes_for_placements(db.session, [placement.id]).get(
            placement.id, []
        ),
    )


def _memberships(user_id: int) -> list[Any]:
    return organisations_of(db.session, user_id)


def _known(value: str | None, allowed: set[str]) -> str | None:
    """A filter value from the list, or None: a hand-edited address filters by nothing."""
    return value if value in allowed else None


def _date(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "Not given"


def _names(model: Any, ids: Any) -> list[str]:
    if not ids:
        return []
    return list(
        db.session.scalars(select(model.name).where(model.id.in_(list(ids))).order_by(model.name))
    )


def _list_html(names: list[str]) -> dict[str, str]:
    if not names:
        return {"value": "None"}
    items = "".join(f"<li>{escape(name)}</li>" for name in names)
    return {"value_html": f'<ul class="govuk-list">{items}</ul>'}


def _paragraphs_html(text: str) -> dict[str, str]:
    """Text as GOV.UK paragraphs, one per line the member wrote, as the public page shows it."""
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    return {"value_html": "".join(f'<p class="govuk-body">{escape(p)}</p>' for p in paragraphs)}


def _grade_range(low: str, high: str) -> str:
    names = dict(db.session.execute(select(Grade.code, Grade.name)).tuples().all())
    low_name, high_name = names.get(low, low), names.get(high, high)
    return low_name if low == high else f"{low_name} to {high_name}"


def _where(data: PlacementData) -> str:
    if data.location_postcode and data.remote_possible:
        return f"{data.location_postcode}, or remotely"
    return data.location_postcode or "Remotely"


def _rows(data: PlacementData, change_url: str | None = None) -> list[dict[str, Any]]:
    """Summary-list rows of a placement's answers; with Change links on check your answers."""
    rows: list[dict[str, Any]] = [
        {"key": "Title", "value": data.title, "field": "title"},
        {"key": "Summary", "value": data.summary, "field": "summary"},
        {"key": "Description", **_paragraphs_html(data.description), "field": "description"},
        {"key": "Kind", "value": KIND_NAMES[PlacementKind(data.kind)], "field": "kind"},
        {"key": "Policy themes", **_list_html(_names(Theme, data.theme_ids)), "field": "theme_ids"},
        {"key": "Skills", **_list_html(_names(Skill, data.skill_ids)), "field": "skill_ids"},
        {
            "key": "Grades",
            "value": _grade_range(data.grade_min, data.grade_max),
            "field": "grade_min",
        },
        {"key": "Where", "value": _where(data), "field": "location_postcode"},
        {"key": "Closing date", "value": _date(data.closing_date), "field": "closing_date"},
        {"key": "Start date", "value": _date(data.start_date), "field": "start_date"},
        {"key": "Duration", "value": f"{data.duration_weeks} weeks", "field": "duration_weeks"},
        {"key": "Hours", "value": HOURS_NAMES[Hours(data.hours)], "field": "hours"},
        {"key": "Places", "value": str(data.capacity), "field": "capacity"},
    ]
    for row in rows:
        field = row.pop("field")
        if change_url:
            row["href"] = f"{change_url}#{field}"
    return rows


def _public_rows(placement: Placement) -> list[dict[str, Any]]:
    data = service.placement_data(placement)
    return [
        {"key": "Organisation", "value": placement.organisation.name},
        {"key": "Kind", "value": KIND_NAMES[PlacementKind(data.kind)]},
        {"key": "Grades", "value": _grade_range(data.grade_min, data.grade_max)},
        {"key": "Where", "value": _where(data)},
        {"key": "Start date", "value": _date(data.start_date)},
        {"key": "Duration", "value": f"{data.duration_weeks} weeks"},
        {"key": "Hours", "value": HOURS_NAMES[Hours(data.hours)]},
        {"key": "Places", "value": str(data.capacity)},
        {"key": "Closing date", "value": _date(data.closing_date)},
    ]
