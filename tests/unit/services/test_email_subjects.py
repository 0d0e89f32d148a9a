"""Subjects and names with emoji and right-to-left text arrive with every space they were
written with, and no space added."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from flask import Flask

from config import Settings
from matcher.events import INTEREST_CHANGED
from matcher.extensions import db
from matcher.mail import build_message
from matcher.services import interests
from tests.conftest import make_settings
from tests.unit.services.test_interest_notifications import delivered, run_pending
from tests.unit.services.world import World, open_placement

# Titles where the email package's own folder broke a line at a space between two encoded words
# and the space was lost ("נתונים🚀", "البياناتצוות", "—مرحبا").
TITLES = [
    "Café נתונים 🚀 — 🎉 נתונים",
    "فريق and צוות community البيانات البيانات צוות Leeds for — Data",
    "🌍 and café — مرحبا community — مرحبا Data",
]


@pytest.mark.parametrize("title", TITLES)
def test_a_placement_title_with_emoji_and_rtl_text_keeps_its_spaces(
    app: Flask, world: World, title: str
):
    placement = open_placement(db.session, world, title=title)
    interest = interests.express_interest(db.session, world.person.id, placement.id)
    interests.shortlist(db.session, world.member_a.id, interest.id)
    db.session.commit()
    run_pending(app, INTEREST_CHANGED)

    subjects = {str(message["Subject"]) for message in delivered(app)}
    assert f"You have been shortlisted for {title}" in subjects
    assert f"{world.person.display_name} is interested in {title}" in subjects


def test_every_subject_decodes_to_the_one_intended(tmp_path: Path):
    settings: Settings = make_settings(tmp_path)
    words = ["Data", "🚀", "🎉", "فريق", "البيانات", "צוות", "נתונים", "—", "café", "Leeds", "a"]
    for length in range(1, 16):
        for start in range(len(words)):
            subject = " ".join(words[(start + n * 3) % len(words)] for n in range(length))
            message = build_message(
                settings,
                to="ada@example.gov.uk",
                subject=subject,
                text="t",
                html="<p>h</p>",
                kind="interest_changed",
            )
            wire = message.as_bytes(policy=policy.SMTP)
            assert all(len(line) <= 78 for line in wire.split(b"\r\n\r\n")[0].split(b"\r\n"))
            assert message_from_bytes(wire, policy=policy.default)["Subject"] == subject


# Names the email package's folder split and respaced ("ياسمي ن").
NAMES = ["Dr Yael Cohen-Haddad יעל כהן 🌿 ياسمين", "Noa Levi נועה לוי 🚀 and فريق البيانات"]


@pytest.mark.parametrize("name", NAMES)
def test_a_recipient_name_with_emoji_and_rtl_text_arrives_unchanged(
    app: Flask, world: World, name: str
):
    world.person.display_name = name
    placement = open_placement(db.session, world, title="Rural buses")
    interest = interests.express_interest(db.session, world.person.id, placement.id)
    interests.shortlist(db.session, world.member_a.id, interest.id)
    db.session.commit()
    run_pending(app, INTEREST_CHANGED)

    [to_person] = [m for m in delivered(app) if world.person.email in str(m["To"])]
    assert to_person["To"].addresses[0].display_name == name
    assert to_person["To"].addresses[0].addr_spec == world.person.email
