"""Data import rejects each kind of bad line and keeps nothing; export round-trips."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import Match, Organisation, Placement, User
from matcher.reference.loader import load_reference_data
from matcher.stored_matches.rebuild import rebuild_sync
from tests.unit.stored_matches.helpers import seed, stored

PERSON = {
    "type": "person",
    "email": "ada.imported@cabinetoffice.gov.uk",
    "name": "Ada Imported",
    "department": "Cabinet Office",
    "grade": "HEO",
    "profession": "Policy",
    "themes": ["Social care"],
    "skills": [],
    "region": "E12000003",
    "travel_limit_km": 60,
    "remote_ok": True,
    "available_from": "2027-01-04",
    "wanted_kinds": ["secondment"],
    "about": "Policy adviser keen to see social care delivered locally.",
    "discoverable": True,
}


def _placement(organisation: str) -> dict:
    return {
        "type": "placement",
        "organisation": organisation,
        "title": "Adult social care redesign",
        "summary": "Help redesign adult social care with the council.",
        "description": "Work with frontline teams on a new model of adult social care.",
        "kind": "secondment",
        "themes": ["Social care"],
        "skills": [],
        "grade_min": "EO",
        "grade_max": "G7",
        "remote": True,
        "start_date": "2027-03-01",
        "duration_weeks": 26,
        "hours": "full_time",
        "closing_date": "2027-01-31",
    }


def _write(tmp_path: Path, records: list) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(User)),
        db.session.scalar(select(func.count()).select_from(Placement)),
    )


def _fill_taxonomy(record: dict) -> dict:
    from matcher.models import Skill, Theme

    theme = db.session.scalar(select(Theme.name).order_by(Theme.id))
    skill = db.session.scalar(select(Skill.name).order_by(Skill.id))
    return {**record, "themes": [theme], "skills": [skill]}


def test_import_rejects_each_bad_line_by_number_and_keeps_nothing(
    app: Flask, tmp_path: Path
) -> None:
    load_reference_data(db.session)
    db.session.commit()
    council = db.session.scalar(
        select(Organisation).where(
            Organisation.kind == "council", Organisation.status == "verified"
        )
    )
    assert council is not None
    person, placement = _fill_taxonomy(PERSON), _fill_taxonomy(_placement(council.ons_code))
    before = _counts()
    path = _write(
        tmp_path,
        [
            person,  # 1: good
            "{not json",  # 2
            {"type": "robot"},  # 3
            {**person, "email": "someone@example.com"},  # 4: not a government address
            person,  # 5: duplicate of line 1
            {**person, "email": "b@cabinetoffice.gov.uk", "grade": "ZZ"},  # 6
            {**person, "email": "c@cabinetoffice.gov.uk", "themes": ["No such theme"]},  # 7
            {**person, "email": "d@cabinetoffice.gov.uk", "wanted_kinds": []},  # 8: service rule
            placement,  # 9: good, by ONS code
            {**placement, "organisation": "Nowhere Council"},  # 10
            {**placement, "closing_date": "31/01/2027"},  # 11
            {**placement, "grade_min": "G7", "grade_max": "EO"},  # 12: service rule
        ],
    )
    result = app.test_cli_runner().invoke(args=["data", "import", str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("line ")]
    numbers = sorted({int(line.split()[1].rstrip(":")) for line in lines})
    assert numbers == [2, 3, 4, 5, 6, 7, 8, 10, 11, 12]
    assert "nothing was imported" in result.output
    assert _counts() == before

    good = _write(tmp_path, [person, {**placement, "organisation": council.name}])
    result = app.test_cli_runner().invoke(args=["data", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 created" not in result.output and "2 created, 0 updated" in result.output
    assert _counts() == (before[0] + 1, before[1] + 1)


def test_export_round_trips_every_stored_match(app: Flask, tmp_path: Path) -> None:
    seed(db.session, people=30, placements=20)
    rebuild_sync(db.session, app.config["MATCHER_SETTINGS"])
    out = tmp_path / "matches.jsonl"
    result = app.test_cli_runner().invoke(args=["matches", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {
        (r["person_id"], r["placement_id"]): (r["score"], r["rank"]) for r in records
    } == stored(db.session)
    first = db.session.scalars(select(Match).order_by(Match.person_id, Match.rank)).first()
    assert records[0]["reasons"] == first.reasons
    assert f"Exported {len(records)} matches" in result.output
