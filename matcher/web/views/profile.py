"""The civil-servant profile: question pages, check your answers, and "Your profile".

Answers are kept on the server as a draft (``services.drafts``) until "Check your answers"
saves them in one service call. Editing a saved profile starts a draft from it, so the same
pages serve both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import escape
from sqlalchemy import select

from matcher.distances import travel_limit_in_words
from matcher.extensions import db
from matcher.models import (
    CivilServantProfile,
    Department,
    DigestFrequency,
    Grade,
    Hours,
    PlacementKind,
    Profession,
    Region,
    Role,
    Skill,
    Theme,
)
from matcher.services import drafts
from matcher.services.profiles import (
    ProfileAnswers,
    answers_from_profile,
    availability_words,
    save_profile,
)
from matcher.services.validation import ValidationFailed
from matcher.web.auth import roles_required, signed_in_user
from matcher.web.forms.profile import (
    DIGEST_NAMES,
    HOURS_NAMES,
    KIND_NAMES,
    AboutForm,
    AvailabilityForm,
    DepartmentForm,
    DiscoverableForm,
    EmailsForm,
    GradeForm,
    LocationForm,
    PlacementsForm,
    ProfessionForm,
    QuestionForm,
    SkillsForm,
    ThemesForm,
    TravelForm,
)
from matcher.web.pages import INVALID, form_page
from matcher.web.unit_of_work import answering, unit_of_work

profile = Blueprint("profile", __name__, url_prefix="/profile")


@dataclass(frozen=True)
class Step:
    """One question page: its address, form and the words of its check-answers row."""

    slug: str
    form: type[QuestionForm]
    summary: str


STEPS = (
    Step("department", DepartmentForm, "Department"),
    Step("grade", GradeForm, "Grade"),
    Step("profession", ProfessionForm, "Profession"),
    Step("themes", ThemesForm, "Policy themes"),
    Step("skills", SkillsForm, "Skills"),
    Step("location", LocationForm, "Where you live"),
    Step("travel", TravelForm, "Travel and remote work"),
    Step("availability", AvailabilityForm, "When you are available"),
    Step("placements", PlacementsForm, "Kinds of placement and hours"),
    Step("about", AboutForm, "About you"),
    Step("discoverable", DiscoverableForm, "Organisations can find you"),
    Step("emails", EmailsForm, "Emails about new matches"),
)
STEP_BY_SLUG = {step.slug: step for step in STEPS}
# Which question page each field a service may complain about is asked on.
STEP_OF_FIELD = {
    "postcode": "location",
    **{key: step.slug for step in STEPS for key in step.form.keys},
}


def _saved_profile() -> CivilServantProfile | None:
    return signed_in_user().profile


def _draft(start_again: bool = False) -> dict[str, Any]:
    draft = drafts.load(db.session, signed_in_user().id, drafts.PROFILE)
    if draft is None or start_again:
        saved = _saved_profile()
        draft = answers_from_profile(saved) if saved is not None else {}
    return dict(draft)


def _next_url(draft: dict[str, Any]) -> str:
    for step in STEPS:
        if any(key not in draft for key in step.form.keys):
            return url_for("profile.question", step=step.slug)
    return url_for("profile.check")


def _back_url(step: Step, draft: dict[str, Any]) -> str:
    if all(key in draft for s in STEPS for key in s.form.keys):
        return url_for("profile.check")
    index = STEPS.index(step)
    if index == 0:
        return url_for("profile.summary")
    return url_for("profile.question", step=STEPS[index - 1].slug)


@profile.get("")
@roles_required(Role.CIVIL_SERVANT)
@unit_of_work
def summary():
    """Show the saved profile with a Change link for each answer."""
    saved = _saved_profile()
    if saved is None:
        return render_template("pages/profile/start.html")
    rows = _summary_rows(answers_from_profile(saved), start_again=True)
    return render_template("pages/profile/summary.html", rows=rows)


@profile.route("/<step>", methods=["GET", "POST"])
@roles_required(Role.CIVIL_SERVANT)
@unit_of_work
def question(step: str):
    """Ask one question of the profile and keep the answer in the draft."""
    definition = STEP_BY_SLUG.get(step) or abort(404)
    draft = _draft(start_again=request.args.get("edit") == "saved")
    form = definition.form(data=definition.form.from_draft(draft))
    form.prepare(db.session)
    if form.validate_on_submit():
        draft.update(form.answers())
        drafts.keep(db.session, signed_in_user().id, drafts.PROFILE, draft)
        return redirect(_next_url(draft))
    drafts.keep(db.session, signed_in_user().id, drafts.PROFILE, draft)
    return form_page(
        f"pages/profile/{definition.slug}.html", form=form, back_url=_back_url(definition, draft)
    )


@profile.route("/check", methods=["GET", "POST"])
@roles_required(Role.CIVIL_SERVANT)
@unit_of_work
def check():
    """Show every answer with Change links; saving writes the whole profile at once."""
    draft = drafts.load(db.session, signed_in_user().id, drafts.PROFILE)
    if draft is None:
        # Already saved (a second click on "Save"), or nothing started.
        return redirect(url_for("profile.summary"))
    next_url = _next_url(draft)
    if next_url != url_for("profile.check"):
        return redirect(next_url)

    def check_page(errors: list[dict[str, str]]) -> tuple[str, int]:
        page = render_template("pages/profile/check.html", rows=_summary_rows(draft), errors=errors)
        return page, INVALID if errors else 200

    def on_the_question_pages(failed: ValidationFailed) -> tuple[str, int]:
        return check_page(
            [
                {
                    "text": message,
                    "href": url_for("profile.question", step=STEP_OF_FIELD.get(field, "about")),
                }
                for field, message in failed.errors.items()
            ]
        )

    if request.method == "POST":
        first_time = _saved_profile() is None
        with answering(answers={ValidationFailed: on_the_question_pages}):
            save_profile(db.session, user_id=signed_in_user().id, answers=_answers(draft))
        drafts.discard(db.session, signed_in_user().id, drafts.PROFILE)
        if first_time:
            return redirect(url_for("profile.saved"))
        flash("Your profile has been updated", "success")
        return redirect(url_for("profile.summary"))
    return check_page([])


@profile.get("/saved")
@roles_required(Role.CIVIL_SERVANT)
@unit_of_work
def saved():
    """Confirm a new profile is complete and say what happens next."""
    if _saved_profile() is None:
        return redirect(url_for("profile.summary"))
    return render_template("pages/profile/saved.html")


def _answers(draft: dict[str, Any]) -> ProfileAnswers:
    until = draft.get("available_until")
    return ProfileAnswers(
        department_id=int(draft["department_id"]),
        grade_rank=int(draft["grade_rank"]),
        profession_id=int(draft["profession_id"]),
        theme_ids=tuple(int(i) for i in draft["theme_ids"]),
        skill_ids=tuple(int(i) for i in draft["skill_ids"]),
        postcode=draft.get("postcode"),
        region_code=draft.get("region_code"),
        travel_limit_km=int(draft["travel_limit_km"]),
        remote_ok=bool(draft["remote_ok"]),
        available_from=date.fromisoformat(draft["available_from"]),
        available_until=date.fromisoformat(until) if until else None,
        wanted_kinds=tuple(PlacementKind(kind) for kind in draft["wanted_kinds"]),
        hours=Hours(draft["hours"]),
        about=draft.get("about") or "",
        discoverable=bool(draft["discoverable"]),
        digest_frequency=DigestFrequency(draft["digest_frequency"]),
    )


def _names(model: Any, key: Any, ids: list[Any]) -> list[str]:
    if not ids:
        return []
    query = select(key, model.name).where(key.in_(ids))
    names: dict[Any, str] = dict(db.session.execute(query).tuples().all())
    return [names[i] for i in ids if i in names]


def _summary_rows(draft: dict[str, Any], start_again: bool = False) -> list[dict[str, Any]]:
    """Check-answers rows for ``draft``, each with a Change link to its question page."""

    def href(slug: str) -> str:
        if start_again:
            return url_for("profile.question", step=slug, edit="saved")
        return url_for("profile.question", step=slug)

    def one(model: Any, key: Any, value: Any) -> str:
        found = _names(model, key, [int(value)]) if value not in (None, "") else []
        return found[0] if found else "Not given"

    def many(model: Any, ids: list[Any]) -> dict[str, str]:
        names = _names(model, model.id, [int(i) for i in ids])
        items = "".join(f"<li>{escape(name)}</li>" for name in names)
        return {"value_html": f'<ul class="govuk-list">{items}</ul>'}

    if draft.get("postcode"):
        where = draft["postcode"]
    else:
        region = db.session.get(Region, draft["region_code"]) if draft.get("region_code") else None
        where = region.name if region else "Not given"
    remote = "Remote work suits me" if draft.get("remote_ok") else "Remote work does not suit me"
    km = draft.get("travel_limit_km")
    travel = "Travel not given" if km is None else travel_limit_in_words(int(km))
    kinds = ", ".join(KIND_NAMES[PlacementKind(k)] for k in draft.get("wanted_kinds", []))
    rows = [
        {"key": "Department", "value": one(Department, Department.id, draft.get("department_id"))},
        {"key": "Grade", "value": one(Grade, Grade.rank, draft.get("grade_rank"))},
        {"key": "Profession", "value": one(Profession, Profession.id, draft.get("profession_id"))},
        {"key": "Policy themes", **many(Theme, draft.get("theme_ids", []))},
        {"key": "Skills", **many(Skill, draft.get("skill_ids", []))},
        {"key": "Where you live", "value": where},
        {
            "key": "Travel and remote work",
            "value": f"{travel}. {remote}",
        },
        {
            "key": "When you are available",
            "value": availability_words(
                date.fromisoformat(draft["available_from"]),
                date.fromisoformat(until) if (until := draft.get("available_until")) else None,
                as_given=not start_again,
            )
            if draft.get("available_from")
            else "Not given",
        },
        {
            "key": "Kinds of placement and hours",
            "value": f"{kinds}. {HOURS_NAMES[Hours(draft['hours'])]}",
        },
        {"key": "About you", "value": draft.get("about") or "Not given"},
        {
            "key": "Organisations can find you",
            "value": "Yes" if draft.get("discoverable") else "No",
        },
        {
            "key": "Emails about new matches",
            "value": DIGEST_NAMES[DigestFrequency(draft["digest_frequency"])],
        },
    ]
    for row, step in zip(rows, STEPS, strict=True):
        row["href"] = href(step.slug)
        row["hidden"] = step.summary.lower()
    return rows
