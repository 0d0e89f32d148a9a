"""No name, title or message is saved with a line break or hidden character where none belongs.

A display name holding CR/LF once broke the To: header of every email to an organisation's
members; the rule lives in one place (``matcher.services.text``) and every service uses it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import InterestStatus, Organisation, Role
from matcher.reference.loader import load_reference_data
from matcher.services import (
    accounts,
    api_tokens,
    feedback,
    interests,
    memberships,
    placements,
    taxonomies,
)
from matcher.services.imports import Importer, Report, import_lines, read_json_lines
from matcher.services.text import has_hidden_characters
from matcher.services.validation import ValidationFailed
from tests import builders
from tests.unit.services.world import World, interest_in, open_placement, valid_data
from tests.unit.stored_matches.test_data_in_out import PERSON, _fill_taxonomy, _placement

ONE_LINE = ("Mallory\r\nX-Evil: 1", "Bell\x07", "\u202eevil", "tab\there")
MANY_LINES = ("Escape\x1b[31m", "\u202edrowssap", "NUL\x00")


def _register(world: World, value: str) -> Any:
    return accounts.register(
        db.session,
        email="mallory@cabinetoffice.gov.uk",
        password="plain english words are best",
        display_name=value,
        role=Role.CIVIL_SERVANT,
        government_domains=("gov.uk",),
    )


def _offer(world: World, value: str) -> Any:
    interest = interest_in(
        db.session, world, open_placement(db.session, world), InterestStatus.INTERESTED
    )
    interests.transition(db.session, world.member_a.id, interest.id, interests.Action.SHORTLIST)
    return interests.offer(db.session, world.member_a.id, interest.id, value)


ONE_LINE_FIELDS: dict[str, tuple[str, Callable[[World, str], Any]]] = {
    "display name": ("display_name", _register),
    "placement title": (
        "title",
        lambda w, v: placements.create_draft(
            db.session, w.member_a.id, w.org_a.id, valid_data(w, title=v)
        ),
    ),
    "placement summary": (
        "summary",
        lambda w, v: placements.create_draft(
            db.session, w.member_a.id, w.org_a.id, valid_data(w, summary=v)
        ),
    ),
    "organisation name": (
        "name",
        lambda w, v: memberships.propose_organisation(
            db.session,
            builders.user(db.session, role=Role.ORGANISATION_MEMBER).id,
            name=v,
            kind="other_public_body",
        ),
    ),
    "theme name": (
        "name",
        lambda w, v: taxonomies.add_term(db.session, w.platform_admin.id, "theme", v),
    ),
    "API token name": ("name", lambda w, v: api_tokens.create_token(db.session, w.person.id, v)),
}
MANY_LINE_FIELDS: dict[str, tuple[str, Callable[[World, str], Any]]] = {
    "placement description": (
        "description",
        lambda w, v: placements.create_draft(
            db.session, w.member_a.id, w.org_a.id, valid_data(w, description=v)
        ),
    ),
    "offer message": ("message", _offer),
    "feedback": (
        "could_be_better",
        lambda w, v: feedback.give_feedback(
            db.session, feedback.FeedbackAnswers(trying_to_do="Find a placement", could_be_better=v)
        ),
    ),
}


# Names of organisations and terms are cleaned instead: runs of spaces, tabs and line breaks
# become one space, and what is left must still have no hidden characters.
CLEANED = {"organisation name", "theme name"}


@pytest.mark.parametrize("value", ONE_LINE)
@pytest.mark.parametrize("where", ONE_LINE_FIELDS)
def test_one_line_fields_refuse_line_breaks_and_hidden_characters(
    world: World, where: str, value: str
):
    field, call = ONE_LINE_FIELDS[where]
    if where in CLEANED and not has_hidden_characters(" ".join(value.split())):
        assert not has_hidden_characters(call(world, value).name)
        return
    with pytest.raises(ValidationFailed) as refused:
        call(world, value)
    assert "hidden formatting characters" in refused.value.errors[field]


@pytest.mark.parametrize("value", MANY_LINES)
@pytest.mark.parametrize("where", MANY_LINE_FIELDS)
def test_messages_keep_line_breaks_but_refuse_hidden_characters(
    world: World, where: str, value: str
):
    field, call = MANY_LINE_FIELDS[where]
    with pytest.raises(ValidationFailed) as refused:
        call(world, value)
    assert "hidden formatting characters" in refused.value.errors[field]


def test_a_message_keeps_its_paragraphs(world: World):
    offered = _offer(world, "Start on 3 March.\r\n\r\nAsk Priya in the analysis team.")
    assert offered.offer_message == "Start on 3 March.\n\nAsk Priya in the analysis team."


def test_emoji_and_right_to_left_words_are_not_hidden_characters():
    for text in ("Coastal towns 🌊 secondment", "مشروع الرعاية", "פרויקט", "👩‍💻 data"):
        assert not has_hidden_characters(text)


def test_json_lines_import_refuses_a_name_with_a_line_break(app: Flask):
    load_reference_data(db.session)
    db.session.commit()
    person = _fill_taxonomy({**PERSON, "name": "Mallory\r\nX-Evil: 1"})

    report = _import([json.dumps(person)])

    assert [outcome.line for outcome in report.refused] == [1]
    assert report.refused[0].errors["name"].startswith("Your name must be one line")


def test_json_lines_import_refuses_a_title_with_a_line_break(app: Flask):
    load_reference_data(db.session)
    db.session.commit()
    council = db.session.scalar(
        select(Organisation.ons_code).where(
            Organisation.kind == "council", Organisation.status == "verified"
        )
    )
    placement = _fill_taxonomy({**_placement(council), "title": "Line\nbreak"})

    report = _import([json.dumps(placement)])

    assert len(report.refused) == 1
    assert report.refused[0].errors["title"].startswith("Title must be one line")


def _import(lines: list[str]) -> Report:
    domains = current_app.config["MATCHER_SETTINGS"].government_email_domains
    operator = Importer(actor_id=None, organisation_id=None, government_domains=domains)
    return import_lines(db.session, operator, read_json_lines(lines))
