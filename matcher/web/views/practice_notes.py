"""Practice notes: the organisation member's pages to write them, the public library, each
note's public page, the administrator's unpublish page and the page to follow themes.

Writing a note is one page of questions saved as a draft; publishing and withdrawing each have
a confirmation page that carries the version the member saw, as placements' status changes do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import (
    PracticeNote,
    PracticeNoteStatus,
    Region,
    Role,
    Theme,
    VerificationStatus,
)
from matcher.services import practice_notes as service
from matcher.services.access import load_note_for_member
from matcher.services.concurrency import StaleObject
from matcher.services.errors import InvalidState, ServiceError
from matcher.services.practice_notes import NoteSearch
from matcher.services.text import SEARCH_TEXT_MAX
from matcher.services.validation import ValidationFailed
from matcher.web.auth import get_current_user, roles_required, signed_in_user
from matcher.web.forms import options, submitted_id
from matcher.web.forms.organisations import KIND_NAMES as ORGANISATION_KIND_NAMES
from matcher.web.forms.placements import ConfirmForm
from matcher.web.forms.practice_notes import (
    STATUS_NAMES,
    FollowThemesForm,
    LibrarySearchForm,
    NoteForm,
    UnpublishNoteForm,
    form_values,
)
from matcher.web.membership import current_membership, member_only
from matcher.web.once import first_submission
from matcher.web.pages import form_page, page_count, page_number, pagination
from matcher.web.unit_of_work import Answer, Tell, answering, unit_of_work

practice_notes = Blueprint("practice_notes", __name__)

PER_PAGE = 10
STATUS_TAGS = {
    PracticeNoteStatus.DRAFT: "govuk-tag--grey",
    PracticeNoteStatus.PUBLISHED: "govuk-tag--green",
    PracticeNoteStatus.WITHDRAWN: "govuk-tag--red",
    PracticeNoteStatus.UNPUBLISHED: "govuk-tag--red",
}
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


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
            "Publish this practice note?",
            "Anyone will be able to read it in the practice library, and civil servants who "
            "follow its themes will hear of it in their next digest.",
            "Publish note",
            "Your practice note has been published",
        ),
        Change(
            "withdraw",
            service.withdraw,
            "Withdraw this practice note?",
            "It will leave the practice library and no longer show beside your placements. "
            "You cannot undo this.",
            "Withdraw note",
            "Your practice note has been withdrawn",
            warning=True,
        ),
    )
}
OFFERED = {
    PracticeNoteStatus.DRAFT: ("publish",),
    PracticeNoteStatus.PUBLISHED: ("withdraw",),
    PracticeNoteStatus.WITHDRAWN: (),
    PracticeNoteStatus.UNPUBLISHED: (),
}


def _organisation_id() -> int:
    membership = current_membership()
    if membership is None:
        abort(redirect(url_for("organisations.mine")))
    return membership.organisation_id


def _own_note(note_id: int) -> PracticeNote:
    """A note the signed-in member may manage: 404 if unseen, 403 if another's."""
    return load_note_for_member(db.session, signed_in_user(), note_id)


def _stale(note_id: int) -> tuple[str, int]:
    return render_template("pages/practice_notes/stale.html", note_id=note_id), 409


# The organisation member's pages.


@practice_notes.get("/organisation/practice-notes")
@member_only
@unit_of_work
def mine():
    """List the organisation's practice notes, newest change first."""
    organisation_id = _organisation_id()
    number = page_number()
    page = service.list_organisation_notes(
        db.session,
        signed_in_user().id,
        organisation_id,
        limit=PER_PAGE,
        offset=(number - 1) * PER_PAGE,
    )
    return render_template(
        "pages/practice_notes/mine.html",
        page=page,
        pagination=pagination(number, page_count(page.total, PER_PAGE), "practice_notes.mine"),
        status_names=STATUS_NAMES,
        status_tags=STATUS_TAGS,
    )


@practice_notes.route("/organisation/practice-notes/new", methods=["GET", "POST"])
@member_only
@unit_of_work
def new():
    """Ask every question about a new note on one page, and save it as a draft."""
    organisation_id = _organisation_id()
    form = NoteForm()
    form.prepare(db.session, organisation_id)
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(url_for("practice_notes.mine"))
        not_approved = Tell(
            "Your organisation was not approved, so it cannot write practice notes",
            url_for("organisations.mine"),
        )
        with answering(form, {InvalidState: not_approved}):
            note = service.create_draft(
                db.session, signed_in_user().id, organisation_id, form.note_data()
            )
            flash("Your practice note has been saved as a draft", "success")
            return redirect(url_for("practice_notes.manage", note_id=note.id))
    return form_page(
        "pages/practice_notes/form.html",
        form=form,
        page_title="Write a practice note",
        submit_text="Save as draft",
        back_url=url_for("practice_notes.mine"),
    )


@practice_notes.get("/organisation/practice-notes/<int:note_id>")
@member_only
@unit_of_work
def manage(note_id: int):
    """Show one of the organisation's notes with what can be done with it next."""
    note = _own_note(note_id)
    return render_template(
        "pages/practice_notes/manage.html",
        note=note,
        changes=[CHANGES[slug] for slug in OFFERED[note.status]],
        editable=note.status in service.EDITABLE,
        verified=note.organisation.status == VerificationStatus.VERIFIED,
        status_names=STATUS_NAMES,
        status_tags=STATUS_TAGS,
    )


@practice_notes.route("/organisation/practice-notes/<int:note_id>/edit", methods=["GET", "POST"])
@member_only
@unit_of_work
def edit(note_id: int):
    """Change a draft or published note; the version seen guards against lost changes."""
    note = _own_note(note_id)
    if note.status not in service.EDITABLE:
        flash("Only draft and published notes can be changed")
        return redirect(url_for("practice_notes.manage", note_id=note_id))
    form = NoteForm(
        data={**form_values(service.note_data(note)), "expected_version": note.version_id}
    )
    form.prepare(db.session, note.organisation_id)
    if form.validate_on_submit():
        answers: dict[type[ServiceError], Answer] = {
            StaleObject: lambda _: _stale(note_id),
            InvalidState: Tell(
                "Only draft and published notes can be changed",
                url_for("practice_notes.manage", note_id=note_id),
            ),
        }
        with answering(form, answers):
            service.update_note(
                db.session,
                signed_in_user().id,
                note_id,
                form.note_data(),
                expected_version=submitted_id(form.expected_version.data),
            )
            flash("Your practice note has been updated", "success")
            return redirect(url_for("practice_notes.manage", note_id=note_id))
    return form_page(
        "pages/practice_notes/form.html",
        form=form,
        page_title="Change the practice note",
        submit_text="Save changes",
        back_url=url_for("practice_notes.manage", note_id=note_id),
    )


@practice_notes.route(
    "/organisation/practice-notes/<int:note_id>/<any(publish, withdraw):change>",
    methods=["GET", "POST"],
)
@member_only
@unit_of_work
def change_status(note_id: int, change: str):
    """Confirm, then publish or withdraw a note."""
    note = _own_note(note_id)
    definition = CHANGES[change]
    form = ConfirmForm(data={"expected_version": note.version_id})
    problem = None
    if change not in OFFERED[note.status]:
        problem = f"This note is {STATUS_NAMES[note.status].lower()}, so you cannot do this"
    elif change == "publish" and note.organisation.status != VerificationStatus.VERIFIED:
        problem = (
            "Your organisation has not been verified yet. A platform administrator checks every "
            "organisation before its notes can be published. You can keep editing the draft"
        )

    def confirm_page(problem: str | None) -> tuple[str, int]:
        page = render_template(
            "pages/confirm_change.html",
            form=form,
            caption=note.title,
            back_url=url_for("practice_notes.manage", note_id=note.id),
            back_text="Go back to the note",
            change=definition,
            problem=problem,
        )
        return page, 409 if problem and request.method == "POST" else 200

    if form.validate_on_submit() and problem is None:
        answers: dict[type[ServiceError], Answer] = {
            StaleObject: lambda _: _stale(note_id),
            ValidationFailed: lambda failed: confirm_page(
                "Answer every question before you publish: "
                + ". ".join(failed.errors.values())
                + ". Change the note first"
            ),
            InvalidState: lambda _: confirm_page("This note has changed, so you cannot do this"),
        }
        with answering(answers=answers):
            definition.run(
                db.session,
                signed_in_user().id,
                note_id,
                expected_version=submitted_id(form.expected_version.data),
            )
            flash(definition.done, "success")
            return redirect(url_for("practice_notes.manage", note_id=note_id))
    return confirm_page(problem)


# The public pages.


def _known(value: str | None, allowed: set[str]) -> str | None:
    """A filter value from the list, or None: a hand-edited address filters by nothing."""
    return value if value in allowed else None


@practice_notes.get("/practice")
@unit_of_work
def library():
    """Search the published practice notes by words, theme, region and kind of organisation."""
    form = LibrarySearchForm(request.args)
    themes = db.session.execute(
        select(Theme.slug, Theme.name).where(Theme.active).order_by(Theme.name)
    ).all()
    regions = db.session.execute(select(Region.code, Region.name).order_by(Region.name)).all()
    form.theme.choices = options([("", "Any theme"), *themes])
    form.region.choices = options([("", "Anywhere"), *regions])
    filters = NoteSearch(
        theme=_known(form.theme.data, {slug for slug, _ in themes}),
        region_code=_known(form.region.data, {code for code, _ in regions}),
        organisation_kind=_known(
            form.organisation_kind.data, {kind.value for kind in ORGANISATION_KIND_NAMES}
        ),
        text=(form.text.data or "")[:SEARCH_TEXT_MAX] or None,
    )
    number = page_number()
    page = service.search_published(
        db.session, filters, limit=PER_PAGE, offset=(number - 1) * PER_PAGE
    )
    if number > 1 and not page.items:
        abort(404)
    args = {key: value for key, value in request.args.items() if value and key != "page"}
    user = get_current_user()
    return render_template(
        "pages/practice_notes/library.html",
        form=form,
        page=page,
        filtered=bool(args),
        pagination=pagination(
            number, page_count(page.total, PER_PAGE), "practice_notes.library", **args
        ),
        region_names=dict(regions),
        can_follow=user is not None and user.role == Role.CIVIL_SERVANT,
    )


@practice_notes.get("/practice/<int:note_id>")
@unit_of_work
def show(note_id: int):
    """A note's public page, under the Open Government Licence; its organisation and platform
    administrators also see it before it is published and after it is taken down."""
    user = get_current_user()
    note = service.get_note(db.session, user.id if user else None, note_id)
    return render_template(
        "pages/practice_notes/show.html",
        note=note,
        open_placements=[p for p in note.placements if p.status.value == "open"],
        organisation_kind=ORGANISATION_KIND_NAMES[note.organisation.kind],
        is_admin=user is not None and user.role == Role.ADMINISTRATOR,
        status_names=STATUS_NAMES,
        status_tags=STATUS_TAGS,
        ogl_url=OGL_URL,
    )


@practice_notes.route("/admin/practice-notes/<int:note_id>/unpublish", methods=["GET", "POST"])
@roles_required(Role.ADMINISTRATOR)
@unit_of_work
def unpublish(note_id: int) -> Any:
    """Take a published note down as a platform administrator, saying why."""
    note = db.session.get(PracticeNote, note_id) or abort(404)
    form = UnpublishNoteForm()
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(url_for("practice_notes.library"))
        title = note.title
        refused = Tell(
            f"{title} is not published, so it cannot be unpublished",
            url_for("practice_notes.show", note_id=note_id),
        )
        with answering(form, {InvalidState: refused}):
            service.unpublish_by_admin(db.session, signed_in_user().id, note_id, form.reason.data)
            flash(f"You have unpublished {title}", "success")
            return redirect(url_for("practice_notes.library"))
    return form_page("pages/practice_notes/unpublish.html", form=form, note=note)


@practice_notes.route("/practice/follow", methods=["GET", "POST"])
@roles_required(Role.CIVIL_SERVANT)
@unit_of_work
def follow():
    """Choose the themes whose new practice notes the weekly digest brings."""
    user_id = signed_in_user().id
    form = FollowThemesForm(
        data={"theme_ids": [str(i) for i in service.followed_theme_ids(db.session, user_id)]}
    )
    form.prepare(db.session)
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(url_for("practice_notes.follow"))
        with answering(form):
            followed = service.follow_themes(db.session, user_id, form.chosen())
            flash(
                f"You follow {len(followed)} {'theme' if len(followed) == 1 else 'themes'}"
                if followed
                else "You follow no themes",
                "success",
            )
            return redirect(url_for("practice_notes.follow"))
    return form_page("pages/practice_notes/follow.html", form=form)
