"""Demo seeding is deterministic, satisfies the schema and uses real places."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from matcher import create_app
from matcher.demo.seed import (
    DEMO_ACCOUNTS,
    DEMO_NOTES,
    DEMO_PASSWORD,
    demo_data_present,
    seed_demo,
)
from matcher.extensions import db
from matcher.models import (
    CivilServantProfile,
    Match,
    Organisation,
    Placement,
    PracticeNoteStatus,
    User,
)
from matcher.models.placements import placement_themes
from matcher.models.users import profile_skills, profile_themes
from matcher.reference.catalogue import council_districts
from matcher.reference.postcodes import lookup
from matcher.security.passwords import verify_password
from matcher.services.match_queries import matches_for_person
from matcher.services.practice_notes import NoteSearch, followed_theme_ids, search_published
from matcher.stored_matches.rebuild import rebuild_sync
from matcher.web.views.matches import PER_PAGE
from tests.conftest import make_settings

TODAY = date(2026, 11, 25)
DIGESTED = (
    User.__table__,
    CivilServantProfile.__table__,
    profile_themes,
    profile_skills,
    Placement.__table__,
    placement_themes,
)


def data_digest() -> str:
    """A hash of every seeded row except salted password hashes."""
    digest = hashlib.sha256()
    for table in DIGESTED:
        columns = [c for c in table.columns if c.name != "password_hash"]
        for row in db.session.execute(select(*columns).order_by(*table.primary_key.columns)):
            digest.update(repr(tuple(str(value) for value in row)).encode())
    return digest.hexdigest()


def seed(people: int = 120, placements: int = 60, seed_value: int = 5) -> str:
    seed_demo(db.session, people=people, placements=placements, seed=seed_value, today=TODAY)
    db.session.commit()
    return data_digest()


@pytest.fixture
def other_app(tmp_path: Path, sqlite_template: Path) -> Flask:
    """A second, independent migrated SQLite database (used outside any app context)."""
    instance = tmp_path / "other"
    instance.mkdir()
    shutil.copy(sqlite_template, instance / "matcher.sqlite3")
    return create_app(make_settings(instance))


def test_same_seed_gives_the_same_rows(app: Flask, other_app: Flask) -> None:
    first = seed()
    db.session.remove()
    with other_app.app_context():
        second = seed()
        db.session.remove()
        db.engine.dispose()
    assert first == second


def test_another_seed_gives_other_rows(app: Flask, other_app: Flask) -> None:
    first = seed(seed_value=5)
    db.session.remove()
    with other_app.app_context():
        second = seed(seed_value=6)
        db.session.remove()
        db.engine.dispose()
    assert first != second


def test_seeded_rows_are_realistic(app: Flask) -> None:
    seed(people=200, placements=150)
    assert db.session.scalar(select(func.count()).select_from(CivilServantProfile)) == 201
    profiles = db.session.scalars(select(CivilServantProfile)).all()
    for profile in profiles:
        assert lookup(profile.home_postcode).local_authority_code == profile.local_authority_code
        assert 2 <= len(profile.themes) <= 5 and 3 <= len(profile.skills) <= 8
        about = profile.about.lower()
        assert (
            sum(theme.name.lower() in about for theme in profile.themes)
            >= min(2, len(profile.themes))
            or profile.user_id == 1
        )
    discoverable = sum(p.discoverable for p in profiles) / len(profiles)
    assert 0.55 < discoverable < 0.85

    placements = db.session.scalars(select(Placement)).all()
    assert sum(p.status == "open" for p in placements) > len(placements) / 2
    for placement in placements:
        assert placement.remote_possible or placement.location_postcode
        if placement.location_postcode:
            place = lookup(placement.location_postcode)
            assert place.local_authority_code == placement.local_authority_code
            organisation = db.session.get(Organisation, placement.organisation_id)
            if organisation.kind == "council":
                assert place.local_authority_code in council_districts(organisation.ons_code)
        if placement.status == "open":
            assert placement.closing_date > TODAY
            assert placement.published_at.date() <= TODAY
        assert placement.title and placement.themes and placement.skills

    # The practice library is populated, each note valid for publishing, linked only to its
    # organisation's open placements; the recruit follows themes for the digest.
    library = search_published(db.session, NoteSearch(), limit=50)
    assert library.total == len(DEMO_NOTES)
    for note in library.items:
        assert note.status == PracticeNoteStatus.PUBLISHED and note.themes and note.region_code
        assert all(p.organisation_id == note.organisation_id for p in note.placements)
        assert all(p.status == "open" for p in note.placements)
        assert all(set(p.themes) & set(note.themes) for p in note.placements)
    assert len(followed_theme_ids(db.session, 1)) == 2


def cited_on_the_recruits_first_page() -> list[str]:
    """The practice notes cited on the first page of the demo recruit's matches."""
    recruit = db.session.scalar(select(User.id).where(User.email == DEMO_ACCOUNTS[0].email))
    assert recruit is not None
    page = matches_for_person(db.session, recruit, page=1, per_page=PER_PAGE)
    return [note.words for row in page.items for note in row.practice]


def test_the_demo_recruit_sees_a_match_citing_a_practice_note(app: Flask) -> None:
    # README sends newcomers to the recruit's matches to see a "Work alongside ..." card.
    seed(people=5, placements=10)
    rebuild_sync(db.session, app.config["MATCHER_SETTINGS"])
    assert cited_on_the_recruits_first_page()


def test_demo_accounts_share_one_password(app: Flask) -> None:
    seed(people=5, placements=5)
    recruit = db.session.scalars(
        select(User).where(User.email == "recruit@cabinetoffice.gov.uk")
    ).one()
    assert verify_password(recruit.password_hash, DEMO_PASSWORD)
    hashes = set(db.session.scalars(select(User.password_hash)))
    assert hashes == {recruit.password_hash}
    assert demo_data_present(db.session)


def test_seed_demo_command_refuses_a_second_run(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--people", "30", "--placements", "10", "--seed", "1"])
    second = runner.invoke(args=["seed-demo", "--people", "30", "--placements", "10"])
    assert first.exit_code == 0, first.output
    assert "Seeded 31 civil servants" in first.output
    assert "already present" in second.output
    assert db.session.scalar(select(func.count()).select_from(Placement)) == 10


def test_bootstrap_loads_everything_once_and_prints_sign_ins(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["bootstrap"])
    second = runner.invoke(args=["bootstrap"])
    assert first.exit_code == 0, first.output
    assert "331 local authorities" in first.output and "Seeded" in first.output
    assert "officer@leeds.gov.uk" in first.output and DEMO_PASSWORD in first.output
    assert "already present" in second.output and "Seeded" not in second.output
    assert "Matched everyone once" in first.output
    assert "Matched everyone once" not in second.output
    assert db.session.scalar(select(func.count()).select_from(Match)) > 0
    assert cited_on_the_recruits_first_page()
