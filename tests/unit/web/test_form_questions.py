"""Every group of radios, checkboxes or date parts asks its question in a legend."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from matcher.extensions import db
from matcher.models import MembershipRole, Role
from tests import builders
from tests.unit.services.world import verified_organisation
from tests.web import confirmed_user, sign_in

_FIELDSET = re.compile(r"<fieldset\b.*?</fieldset>", re.S)
_LEGEND = re.compile(r"<legend\b[^>]*>(.*?)</legend>", re.S)
_TAG = re.compile(r"<[^>]+>")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", _TAG.sub("", html)).strip()


def _legends(html: str) -> list[str]:
    fieldsets = _FIELDSET.findall(html)
    legends = [_LEGEND.search(fieldset) for fieldset in fieldsets]
    assert all(legends), "a fieldset has no legend"
    return [_text(legend.group(1)) for legend in legends if legend]


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.fixture
def recruit(site: Flask) -> FlaskClient:
    client = site.test_client()
    sign_in(client, confirmed_user().email)
    return client


@pytest.fixture
def member(site: Flask) -> FlaskClient:
    organisation = verified_organisation(db.session)
    user = confirmed_user(Role.ORGANISATION_MEMBER)
    builders.membership(db.session, user, organisation, MembershipRole.ADMIN)
    db.session.commit()
    client = site.test_client()
    sign_in(client, user.email)
    return client


def test_the_register_page_asks_where_the_person_works(site: Flask):
    html = _page(site.test_client(), "/register")
    assert _legends(html) == ["Where do you work?"]


@pytest.mark.parametrize(
    ("step", "questions"),
    [
        ("grade", ["What is your grade?"]),
        ("themes", ["Which policy themes interest you?"]),
        ("travel", ["Would a placement you can mostly do remotely suit you?"]),
        ("availability", ["Available from", "Available until (optional)"]),
        (
            "placements",
            ["What kinds of placement do you want?", "What hours could you work on a placement?"],
        ),
        ("discoverable", ["Can organisations find your profile?"]),
        ("emails", ["How often should we email you new matches?"]),
    ],
)
def test_each_profile_question_has_its_words(recruit: FlaskClient, step: str, questions: list):
    assert _legends(_page(recruit, f"/profile/{step}")) == questions


@pytest.mark.parametrize("step", ["grade", "themes", "emails"])
def test_a_one_question_step_has_its_question_as_its_only_heading(recruit: FlaskClient, step):
    html = _page(recruit, f"/profile/{step}")
    headings = re.findall(r"<h1\b[^>]*>(.*?)</h1>", html, re.S)
    assert len(headings) == 1, headings
    legend = _LEGEND.search(html)
    assert legend and "<h1" in legend.group(1)
    assert _text(headings[0]) == _legends(html)[0] != ""


def test_a_question_after_explanation_is_not_asked_twice_on_screen(recruit: FlaskClient):
    html = _page(recruit, "/profile/discoverable")
    headings = re.findall(r"<h1\b[^>]*>(.*?)</h1>", html, re.S)
    assert [_text(h) for h in headings] == ["Can organisations find your profile?"]
    assert re.search(r'<legend class="[^"]*govuk-visually-hidden', html)


def test_the_placement_form_asks_every_question(member: FlaskClient):
    legends = _legends(_page(member, "/organisation/placements/new"))
    for question in ("Closing date", "Start date", "Hours", "What kind of placement is it?"):
        assert question in legends
    assert all(legends), legends
