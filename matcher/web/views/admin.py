"""Administration: verify organisations, unpublish placements, keep taxonomies, read the audit log.

Platform administrators only. The services check the role again, so a route guarded by
mistake still cannot change anything.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from matcher.extensions import db
from matcher.models import Organisation, Placement, Role, Skill, Theme
from matcher.services import admin_queries, taxonomies
from matcher.services.errors import InvalidState
from matcher.services.memberships import join_requests_for_platform, reject_organisation
from matcher.services.organisations import verify_organisation
from matcher.services.placements import unpublish_by_admin
from matcher.web.auth import roles_required, signed_in_user
from matcher.web.forms.actions import ActionForm, TermForm, UnpublishForm
from matcher.web.once import first_submission
from matcher.web.pages import form_page, page_number, pagination
from matcher.web.unit_of_work import Tell, answering, unit_of_work

admin = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 25
TAXONOMIES: dict[str, taxonomies.Kind] = {"themes": "theme", "skills": "skill"}
only_admins = roles_required(Role.ADMINISTRATOR)


def _decided() -> Tell:
    return Tell(
        "This organisation has already been verified or rejected", url_for("admin.organisations")
    )


def _kind(taxonomy: str) -> taxonomies.Kind:
    kind = TAXONOMIES.get(taxonomy)
    if kind is None:
        abort(404)
    return kind


@admin.get("")
@only_admins
@unit_of_work
def index() -> str:
    """The administration pages, with how many organisations and join requests are waiting."""
    waiting = len(admin_queries.proposed_organisations(db.session))
    asking = len(join_requests_for_platform(db.session, signed_in_user().id))
    return render_template("pages/admin/index.html", waiting=waiting, asking=asking)


@admin.get("/join-requests")
@only_admins
@unit_of_work
def join_requests() -> str:
    """Requests to join organisations that have no administrator yet, which admins decide."""
    return render_template(
        "pages/admin/join_requests.html",
        asking=join_requests_for_platform(db.session, signed_in_user().id),
    )


@admin.get("/organisations")
@only_admins
@unit_of_work
def organisations() -> str:
    """Organisations proposed by their members, waiting to be verified or rejected."""
    return render_template(
        "pages/admin/organisations.html",
        organisations=admin_queries.proposed_organisations(db.session),
    )


@admin.post("/organisations/<int:organisation_id>/verify")
@only_admins
@unit_of_work
def verify(organisation_id: int) -> Response:
    """Verify a proposed organisation; its administrators are told by email."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if not first_submission(form):
        return redirect(url_for("admin.organisations"))
    with answering(answers={InvalidState: _decided()}):
        organisation = verify_organisation(
            db.session, actor_id=signed_in_user().id, organisation_id=organisation_id
        )
    flash(f"{organisation.name} is verified. Its placements can now be published", "success")
    return redirect(url_for("admin.organisations"))


@admin.route("/organisations/<int:organisation_id>/reject", methods=["GET", "POST"])
@only_admins
@unit_of_work
def reject(organisation_id: int) -> Any:
    """Confirm, then reject a proposed organisation."""
    organisation = db.session.get(Organisation, organisation_id) or abort(404)
    form = ActionForm()
    if not form.is_submitted():
        return render_template("pages/admin/confirm_reject.html", organisation=organisation)
    if not form.validate():
        abort(400)
    if not first_submission(form):
        return redirect(url_for("admin.organisations"))
    name = organisation.name
    with answering(answers={InvalidState: _decided()}):
        reject_organisation(db.session, signed_in_user().id, organisation_id)
    flash(f"You have rejected {name}", "success")
    return redirect(url_for("admin.organisations"))


@admin.get("/placements")
@only_admins
@unit_of_work
def placements() -> Any:
    """Open and closed placements, each of which can be unpublished."""
    page = page_number()
    result = admin_queries.live_placements(db.session, page=page, per_page=PER_PAGE)
    return render_template(
        "pages/admin/placements.html",
        result=result,
        pagination=pagination(page, result.pages, "admin.placements"),
    )


@admin.route("/placements/<int:placement_id>/unpublish", methods=["GET", "POST"])
@only_admins
@unit_of_work
def unpublish(placement_id: int) -> Any:
    """Take a placement down, saying why."""
    placement = db.session.get(Placement, placement_id) or abort(404)
    form = UnpublishForm()
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(url_for("admin.placements"))
        title = placement.title
        refused = Tell(
            f"{title} is not open or closed, so it cannot be unpublished",
            url_for("admin.placements"),
        )
        with answering(form, {InvalidState: refused}):
            unpublish_by_admin(db.session, signed_in_user().id, placement_id, form.reason.data)
            flash(f"You have unpublished {title}", "success")
            return redirect(url_for("admin.placements"))
    return form_page("pages/admin/unpublish.html", form=form, placement=placement)


@admin.route("/<any(themes, skills):taxonomy>", methods=["GET", "POST"])
@only_admins
@unit_of_work
def terms(taxonomy: str) -> Any:
    """List a taxonomy's terms and add a new one."""
    kind = _kind(taxonomy)
    form = TermForm()
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(url_for("admin.terms", taxonomy=taxonomy))
        with answering(form):
            term = taxonomies.add_term(db.session, signed_in_user().id, kind, form.name.data)
            flash(f"You have added the {kind} {term.name}", "success")
            return redirect(url_for("admin.terms", taxonomy=taxonomy))
    page = page_number()
    result = admin_queries.taxonomy_terms(db.session, kind, page=page, per_page=PER_PAGE * 2)
    return form_page(
        "pages/admin/terms.html",
        form=form,
        kind=kind,
        taxonomy=taxonomy,
        result=result,
        pagination=pagination(page, result.pages, "admin.terms", taxonomy=taxonomy),
    )


@admin.route("/<any(themes, skills):taxonomy>/<int:term_id>/rename", methods=["GET", "POST"])
@only_admins
@unit_of_work
def rename(taxonomy: str, term_id: int) -> Any:
    """Rename a theme or skill; everything that uses it keeps it."""
    kind = _kind(taxonomy)
    term = db.session.get(taxonomies.MODELS[kind], term_id)
    if not isinstance(term, Theme | Skill):
        abort(404)
    form = TermForm(data={"name": term.name} if request.method == "GET" else None)
    if form.validate_on_submit():
        if not first_submission(form):
            return redirect(url_for("admin.terms", taxonomy=taxonomy))
        with answering(form):
            taxonomies.rename_term(db.session, signed_in_user().id, kind, term_id, form.name.data)
            flash(f"You have renamed the {kind} to {form.name.data}", "success")
            return redirect(url_for("admin.terms", taxonomy=taxonomy))
    return form_page("pages/admin/rename.html", form=form, kind=kind, taxonomy=taxonomy, term=term)


@admin.post("/<any(themes, skills):taxonomy>/<int:term_id>/<any(deactivate, activate):change>")
@only_admins
@unit_of_work
def set_active(taxonomy: str, term_id: int, change: str) -> Response:
    """Deactivate a term (hidden from new answers) or make it active again."""
    kind = _kind(taxonomy)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    back = url_for("admin.terms", taxonomy=taxonomy)
    if not first_submission(form):
        return redirect(back)
    active = change == "activate"
    refused = Tell(f"That {kind} is already {'active' if active else 'inactive'}", back)
    with answering(answers={InvalidState: refused}):
        term = taxonomies.set_active(db.session, signed_in_user().id, kind, term_id, active)
    flash(f"{term.name} is {'active' if active else 'inactive'}", "success")
    return redirect(back)


@admin.get("/audit")
@only_admins
@unit_of_work
def audit_log() -> str:
    """Who changed what and when, newest first, filtered by action, object type or actor."""
    filters = admin_queries.AuditFilters(
        action=request.args.get("action") or None,
        object_type=request.args.get("object_type") or None,
        actor_email=request.args.get("actor") or None,
    )
    page = page_number()
    result = admin_queries.audit_log(db.session, filters, page=page, per_page=PER_PAGE)
    actions, types = admin_queries.audit_choices(db.session)
    return render_template(
        "pages/admin/audit.html",
        result=result,
        filters=filters,
        actions=actions,
        types=types,
        pagination=pagination(
            page,
            result.pages,
            "admin.audit_log",
            action=filters.action,
            object_type=filters.object_type,
            actor=filters.actor_email,
        ),
    )
