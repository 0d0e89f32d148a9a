"""``flask data import``: imports through the services, idempotent, in the file's own words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import (
    AuditEntry,
    Department,
    Organisation,
    OrganisationKind,
    OutboxEvent,
    Placement,
    PlacementStatus,
    User,
    VerificationStatus,
)
from matcher.reference.loader import load_reference_data
from tests.unit.stored_matches.test_data_in_out import PERSON, _fill_taxonomy, _placement


@pytest.fixture
def council(app: Flask) -> Organisation:
    """Reference data loaded; a verified council to post placements for."""
    load_reference_data(db.session)
    db.session.commit()
    found = db.session.scalar(
        select(Organisation).where(
            Organisation.kind == OrganisationKind.COUNCIL,
            Organisation.status == VerificationStatus.VERIFIED,
        )
    )
    assert found is not None
    return found


def _person(**changes: Any) -> dict[str, Any]:
    return {**_fill_taxonomy(PERSON), "external_id": "HR-1", **changes}


def _open_placement(council: Organisation, **changes: Any) -> dict[str, Any]:
    return {**_fill_taxonomy(_placement(council.name)), "external_id": "P-1", **changes}


def _run(app: Flask, tmp_path: Path, records: list[Any], *options: str) -> Result:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return app.test_cli_runner().invoke(args=["data", "import", *options, str(path)])


def _counts() -> tuple[int, int, int, int]:
    db.session.rollback()
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (User, Placement, AuditEntry, OutboxEvent)
    )


def _errors(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("line ")]


def test_an_imported_placement_is_created_and_published_by_the_services(
    app: Flask, council: Organisation, tmp_path: Path
):
    result = _run(app, tmp_path, [_person(), _open_placement(council)])

    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged, 0 refused" in result.output
    placement = db.session.scalar(select(Placement).where(Placement.external_id == "P-1"))
    assert placement is not None and placement.status == PlacementStatus.OPEN
    actions = db.session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.object_type == "placement", AuditEntry.object_id == str(placement.id)
        )
    ).all()
    assert sorted(actions) == ["placement.created", "placement.publish"]
    events = db.session.scalars(select(OutboxEvent.payload)).all()
    assert {"placement_id": placement.id} in events
    person = db.session.scalar(select(User).where(User.external_id == "HR-1"))
    assert person is not None and person.profile is not None
    assert db.session.scalar(
        select(AuditEntry.id).where(
            AuditEntry.action == "account.imported", AuditEntry.object_id == str(person.id)
        )
    )


def test_importing_the_same_file_twice_changes_nothing(
    app: Flask, council: Organisation, tmp_path: Path
):
    records = [_person(), _open_placement(council)]
    assert _run(app, tmp_path, records).exit_code == 0
    before = _counts()

    again = _run(app, tmp_path, records)

    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 2 unchanged, 0 refused" in again.output
    assert _counts() == before


def test_a_changed_line_updates_its_record_in_place(
    app: Flask, council: Organisation, tmp_path: Path
):
    assert _run(app, tmp_path, [_person(), _open_placement(council)]).exit_code == 0
    placement = db.session.scalar(select(Placement).where(Placement.external_id == "P-1"))
    assert placement is not None
    placement_id, version = placement.id, placement.version_id
    users = _counts()[0]

    changed = _run(
        app,
        tmp_path,
        [_person(about="Now keen on transport."), _open_placement(council, title="Renamed")],
    )

    assert changed.exit_code == 0, changed.output
    assert "0 created, 2 updated, 0 unchanged" in changed.output
    db.session.rollback()
    placement = db.session.get(Placement, placement_id)
    assert placement is not None
    assert placement.title == "Renamed" and placement.version_id > version
    person = db.session.scalar(select(User).where(User.external_id == "HR-1"))
    assert person is not None and person.profile is not None
    assert person.profile.about == "Now keen on transport."
    assert _counts()[0] == users


def test_unknown_fields_are_refused_by_name_with_the_field_meant(
    app: Flask, council: Organisation, tmp_path: Path
):
    result = _run(app, tmp_path, [_person(available_to="2027-06-01", salary=1)])

    assert result.exit_code == 1
    assert _errors(result) == [
        "line 1: available_to: `available_to` is not a field; did you mean `available_until`?",
        "line 1: salary: `salary` is not a field; the fields are type, external_id, email, name, "
        "department, grade, profession, themes, skills, postcode, region, travel_limit_km, "
        "remote_ok, available_from, available_until, wanted_kinds, hours, about, discoverable, "
        "digest_frequency",
    ]


def test_the_forms_hr_systems_write_are_understood(
    app: Flask, council: Organisation, tmp_path: Path
):
    cumberland = db.session.scalar(select(Organisation).where(Organisation.ons_code == "E06000063"))
    assert cumberland is not None
    records = [
        _person(department="DWP", grade="Grade 7", hours="Full time", wanted_kinds=["Secondment"]),
        # Allerdale's 2021 district code: Cumberland Council has served it since April 2023.
        _open_placement(council, organisation="E07000026", status="draft", grade_min="g7"),
    ]

    result = _run(app, tmp_path, records)

    assert result.exit_code == 0, result.output
    placement = db.session.scalar(select(Placement).where(Placement.external_id == "P-1"))
    assert placement is not None and placement.organisation_id == cumberland.id
    person = db.session.scalar(select(User).where(User.external_id == "HR-1"))
    assert person is not None and person.profile is not None
    department = db.session.get(Department, person.profile.department_id)
    assert department is not None and department.abbreviation == "DWP"
    assert person.profile.grade_rank == 6


def test_bad_values_are_explained_in_the_files_own_words(
    app: Flask, council: Organisation, tmp_path: Path
):
    records = [
        _person(),
        _person(external_id="HR-2", hours="weekends", grade="Grade 9"),
        _open_placement(council, kind="holiday", postcode="nowhere", remote="perhaps"),
    ]

    result = _run(app, tmp_path, records)

    assert result.exit_code == 1
    assert sorted(_errors(result)) == [
        "line 2: email: This email is also on line 1",
        "line 2: grade: Enter one of: AA, AO, EO, HEO, SEO, G7, G6, SCS1, SCS2, SCS3, SCS4",
        "line 2: hours: Enter one of: full_time, part_time, flexible",
        "line 3: kind: Enter one of: secondment, placement, partnership_project, job_shadowing, "
        "mentoring",
        "line 3: postcode: Enter a real UK postcode, like SW1A 2AA",
        "line 3: remote: Enter yes or no",
    ]


def test_a_dry_run_says_what_would_happen_and_keeps_nothing(
    app: Flask, council: Organisation, tmp_path: Path
):
    assert _run(app, tmp_path, [_person()]).exit_code == 0
    before = _counts()
    records = [
        _person(about="Changed."),
        _open_placement(council),
        _open_placement(council, external_id="P-2", capacity=0),
    ]

    result = _run(app, tmp_path, records, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "nothing saved: 1 created, 1 updated, 0 unchanged, 1 refused" in result.output
    assert _errors(result) == ["line 3: capacity: Capacity must be between 1 and 100"]
    assert _counts() == before
